import { MAX_LINE_BYTES, PROTOCOL_VERSION } from '../../app/daemon-wire/protocol';
import { inWindow, instantOf } from './timestamp';

/**
 * The daemon's fast path, for a batch exactly as the guard's DaemonSink writes it: the message
 * envelope, then records in JSON.stringify's form of a DetectionRecord (its field order, no white
 * space, strings of printable ASCII without escapes). Such a line is checked in one pass over its
 * bytes, against the same rules as validate.ts, and each record's text is written to the log as it
 * came: no UTF-8 decoding, no JSON.parse, no objects and no re-serialising, which were four fifths
 * of the daemon's time per record. Anything else (another client's spacing, an escape, a non-ASCII
 * path, any error) gets undefined, and the line takes the general path: JSON.parse and
 * validateMessage, with its precise reasons.
 */

const QUOTE = 0x22;
const COMMA = 0x2c;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');

const HEADER = bytes(`{"v":${PROTOCOL_VERSION},"type":"records","seq":`);
const RECORDS = bytes(',"records":[');
const TRAILER = bytes(']}');

type ValueKind = 'string' | 'string?' | 'count' | 'count?' | 'boolean' | 'false' | 'mode' | 'timestamp';

/** DetectionRecord's fields in the order the guard writes them, with validate.ts's rule for each. */
const FIELDS: Array<[key: Buffer, kind: ValueKind]> = (
  [
    ['ts', 'timestamp'],
    ['call_site', 'string'],
    ['attested', 'false'],
    ['mode', 'mode'],
    ['blocked', 'boolean'],
    ['code_file', 'string?'],
    ['code_line', 'count?'],
    ['workspace_id', 'string?'],
    ['pid', 'count'],
    ['id', 'string'],
  ] as const
).map(([key, kind], index) => [bytes(`${index === 0 ? '{' : ','}"${key}":`), kind]);

const LITERALS = {
  true: bytes('true'),
  false: bytes('false'),
  null: bytes('null'),
  modes: ['"warn"', '"block"', '"report"'].map(bytes),
};

/** The batch's seq and its records' JSON texts, or undefined for any line not in that exact form. */
export function readCanonicalBatch(
  line: Buffer,
  now = Date.now(),
): { seq: number; records: string[] } | undefined {
  if (line.length > MAX_LINE_BYTES || !startsWith(line, 0, HEADER)) return undefined;
  const seq = readCount(line, HEADER.length);
  if (seq === undefined || !startsWith(line, seq.end, RECORDS)) return undefined;
  const records: string[] = [];
  let at = seq.end + RECORDS.length;
  if (line[at] !== 0x5d) {
    for (;;) {
      const end = readRecord(line, at, now);
      if (end === undefined) return undefined;
      // latin1: the record is checked to be ASCII, for which this is a plain copy.
      records.push(line.toString('latin1', at, end));
      at = end;
      if (line[at] !== COMMA) break;
      at++;
    }
  }
  return at + TRAILER.length === line.length && startsWith(line, at, TRAILER)
    ? { seq: seq.value, records }
    : undefined;
}

/** The end of a canonical record starting at `at`, or undefined. */
function readRecord(line: Buffer, at: number, now: number): number | undefined {
  for (const [key, kind] of FIELDS) {
    if (!startsWith(line, at, key)) return undefined;
    const end = readValue(line, at + key.length, kind, now);
    if (end === undefined) return undefined;
    at = end;
  }
  return line[at] === 0x7d ? at + 1 : undefined;
}

function readValue(line: Buffer, at: number, kind: ValueKind, now: number): number | undefined {
  switch (kind) {
    case 'string':
      return readString(line, at);
    case 'string?':
      return startsWith(line, at, LITERALS.null) ? at + 4 : readString(line, at);
    case 'count':
      return readCount(line, at)?.end;
    case 'count?':
      return startsWith(line, at, LITERALS.null) ? at + 4 : readCount(line, at)?.end;
    case 'boolean':
      if (startsWith(line, at, LITERALS.true)) return at + 4;
      return startsWith(line, at, LITERALS.false) ? at + 5 : undefined;
    case 'false':
      return startsWith(line, at, LITERALS.false) ? at + 5 : undefined;
    case 'mode':
      for (const mode of LITERALS.modes) if (startsWith(line, at, mode)) return at + mode.length;
      return undefined;
    case 'timestamp':
      return readTimestamp(line, at, now);
  }
}

/** A non-empty string of printable ASCII other than `"` and `\`: JSON with nothing to unescape. */
function readString(line: Buffer, at: number): number | undefined {
  if (line[at] !== QUOTE) return undefined;
  let i = at + 1;
  for (; i < line.length; i++) {
    const c = line[i];
    if (c === QUOTE) break;
    if (c < 0x20 || c > 0x7e || c === 0x5c) return undefined;
  }
  return i > at + 1 && i < line.length ? i + 1 : undefined;
}

/** A JSON integer with no leading zero, up to Number.MAX_SAFE_INTEGER (16 digits). */
function readCount(line: Buffer, at: number): { value: number; end: number } | undefined {
  let i = at;
  let value = 0;
  while (i < line.length && i - at < 17 && line[i] >= DIGIT_0 && line[i] <= DIGIT_9) {
    // Exact up to 2^53; anything larger rounds to at least 2^53 and is refused below.
    value = value * 10 + (line[i] - DIGIT_0);
    i++;
  }
  const digits = i - at;
  if (digits === 0 || digits > 16 || (digits > 1 && line[at] === DIGIT_0)) return undefined;
  return value <= Number.MAX_SAFE_INTEGER ? { value, end: i } : undefined;
}

/** What toISOString writes: "YYYY-MM-DDTHH:MM:SS.mmmZ", a real calendar time in timestamp.ts's window. */
const TIMESTAMP = '"dddd-dd-ddTdd:dd:dd.dddZ"';

function readTimestamp(line: Buffer, at: number, now: number): number | undefined {
  if (at + TIMESTAMP.length > line.length) return undefined;
  for (let i = 0; i < TIMESTAMP.length; i++) {
    const c = line[at + i];
    const expected = TIMESTAMP.charCodeAt(i);
    if (expected === 0x64 /* d */ ? c < DIGIT_0 || c > DIGIT_9 : c !== expected) return undefined;
  }
  const digits = (offset: number, count: number) => {
    let value = 0;
    for (let i = 0; i < count; i++) value = value * 10 + (line[at + offset + i] - DIGIT_0);
    return value;
  };
  const time = instantOf(
    digits(1, 4),
    digits(6, 2),
    digits(9, 2),
    digits(12, 2),
    digits(15, 2),
    digits(18, 2),
    digits(21, 3),
  );
  return inWindow(time, now) ? at + TIMESTAMP.length : undefined;
}

function startsWith(line: Buffer, at: number, expected: Buffer): boolean {
  if (at + expected.length > line.length) return false;
  for (let i = 0; i < expected.length; i++) if (line[at + i] !== expected[i]) return false;
  return true;
}
