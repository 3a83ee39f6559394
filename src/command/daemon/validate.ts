import { MODES, type DetectionRecord } from '../../app/types';
import { PROTOCOL_VERSION, type RecordsMessage } from '../../app/daemon-wire/protocol';
import { timestampProblem } from './timestamp';

export type Validation = { ok: true; message: RecordsMessage } | { ok: false; reason: string; seq?: number };

type FieldCheck = (value: unknown) => boolean;

const isString: FieldCheck = (value) => typeof value === 'string' && value.length > 0;
const isCount = (value: unknown): boolean => Number.isSafeInteger(value) && (value as number) >= 0;
const orNull =
  (check: FieldCheck): FieldCheck =>
  (value) =>
    value === null || check(value);

/**
 * Every DetectionRecord field and what it must hold. `satisfies` makes a field added to the type a
 * compile error here, so the daemon's idea of a record cannot drift from the guard's. The ts is
 * checked apart (timestamp.ts), since its refusal says what was sent and what is accepted.
 */
const RECORD_FIELDS = {
  ts: () => true,
  call_site: isString,
  attested: (value) => value === false,
  mode: (value) => (MODES as readonly unknown[]).includes(value),
  blocked: (value) => typeof value === 'boolean',
  code_file: orNull(isString),
  code_line: orNull(isCount),
  workspace_id: orNull(isString),
  pid: isCount,
  id: isString,
} satisfies Record<keyof DetectionRecord, FieldCheck>;

const FIELD_NAMES = Object.keys(RECORD_FIELDS) as (keyof DetectionRecord)[];

/**
 * Checks one parsed line against the protocol. A batch is all or nothing: one bad record rejects
 * it, naming the record and field. Records with fields the guard never writes are rejected rather
 * than trimmed, so whatever a client adds (prompt text included) is never written by the daemon.
 */
export function validateMessage(value: unknown, now = Date.now()): Validation {
  if (!isObject(value)) return { ok: false, reason: 'message is not a JSON object' };
  const seq = isCount(value.seq) ? (value.seq as number) : undefined;
  const fail = (reason: string): Validation => ({ ok: false, reason, seq });
  if (value.v !== PROTOCOL_VERSION) return fail(`unsupported protocol version ${JSON.stringify(value.v)}`);
  if (value.type !== 'records') return fail(`unknown message type ${JSON.stringify(value.type)}`);
  if (seq === undefined) return fail('seq must be a non-negative integer');
  if (!Array.isArray(value.records)) return fail('records must be an array');
  const extra = Object.keys(value).find((key) => !['v', 'type', 'seq', 'records'].includes(key));
  if (extra !== undefined) return fail(`unknown message field ${JSON.stringify(extra)}`);
  for (const [index, record] of value.records.entries()) {
    const problem = recordProblem(record, now);
    if (problem) return fail(`records[${index}]: ${problem}`);
  }
  return { ok: true, message: value as unknown as RecordsMessage };
}

/** Every key known, every field valid: no check but ts's (tested first) accepts undefined, so none is missing. */
function recordProblem(record: unknown, now: number): string | undefined {
  if (!isObject(record)) return 'not a JSON object';
  for (const key of Object.keys(record)) {
    if (!Object.hasOwn(RECORD_FIELDS, key)) return `unknown field ${JSON.stringify(key)}`;
  }
  if (!Object.hasOwn(record, 'ts')) return 'missing ts';
  const tsProblem = timestampProblem(record.ts, now);
  if (tsProblem) return tsProblem;
  for (const field of FIELD_NAMES) {
    if (!RECORD_FIELDS[field](record[field])) {
      return Object.hasOwn(record, field) ? `invalid ${field}` : `missing ${field}`;
    }
  }
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
