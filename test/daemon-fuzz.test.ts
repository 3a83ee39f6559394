import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { readCanonicalBatch } from '../src/command/daemon/canonical-batch';
import { LineReader, type LineEvent } from '../src/app/daemon-wire/line-reader';
import { encodeRecords, MAX_LINE_BYTES } from '../src/app/daemon-wire/protocol';
import { startDaemon, type DaemonHandle } from '../src/command/daemon/server';
import { validateMessage } from '../src/command/daemon/validate';
import { MODES, type DetectionRecord } from '../src/app/types';
import { RawClient, readLog, tempDir, type Reply } from './fixtures/daemon/client';

const NEWLINE = 0x0a;

// ---------------------------------------------------------------------------------------------
// Arbitraries

/** Bytes with newlines common enough to make many short lines. */
const bytesArb = (maxLength: number) =>
  fc
    .array(fc.oneof({ weight: 1, arbitrary: fc.constant(NEWLINE) }, { weight: 5, arbitrary: fc.nat(255) }), {
      maxLength,
    })
    .map((bytes) => Uint8Array.from(bytes));

const nonEmpty = fc.string({ minLength: 1, maxLength: 20 });

const recordArb: fc.Arbitrary<DetectionRecord> = fc.record({
  ts: fc
    .date({
      // The daemon's window: from 2000-01-01 to a day after its clock.
      min: new Date('2000-01-01T00:00:00Z'),
      max: new Date(),
      noInvalidDate: true,
    })
    .map((date) => date.toISOString()),
  call_site: nonEmpty,
  attested: fc.constant(false as const),
  mode: fc.constantFrom(...MODES),
  blocked: fc.boolean(),
  code_file: fc.option(nonEmpty, { nil: null }),
  code_line: fc.option(fc.maxSafeNat(), { nil: null }),
  workspace_id: fc.option(nonEmpty, { nil: null }),
  pid: fc.maxSafeNat(),
  id: nonEmpty,
});

const messageArb = fc.record({
  v: fc.constant(1),
  type: fc.constant('records'),
  seq: fc.maxSafeNat(),
  records: fc.array(recordArb, { maxLength: 4 }),
});

const MESSAGE_KEYS = ['v', 'type', 'seq', 'records'];
const RECORD_KEYS = [
  'ts',
  'call_site',
  'attested',
  'mode',
  'blocked',
  'code_file',
  'code_line',
  'workspace_id',
  'pid',
  'id',
];

type Json = Record<string, unknown>;

/** A well-formed message with one change that may (or may not) make it malformed. */
const mutatedMessageArb = fc
  .tuple(
    messageArb,
    fc.oneof(
      fc.record({
        at: fc.constant('message' as const),
        key: fc.constantFrom(...MESSAGE_KEYS, 'prompt', '__proto__'),
      }),
      fc.record({
        at: fc.constant('record' as const),
        key: fc.constantFrom(...RECORD_KEYS, 'prompt', 'constructor'),
      }),
    ),
    fc.oneof(fc.constant({ delete: true as const }), fc.record({ value: fc.jsonValue() })),
    fc.nat(),
  )
  .map(([message, where, change, index]) => {
    // A JSON round trip: a plain copy, as the daemon would parse it (own __proto__ keys included).
    const copy = JSON.parse(JSON.stringify(message)) as Json;
    let target: Json = copy;
    if (where.at === 'record') {
      const records = copy.records as Json[];
      if (records.length === 0) return copy;
      target = records[index % records.length];
    }
    if ('delete' in change) delete target[where.key];
    else Object.defineProperty(target, where.key, { value: change.value, enumerable: true, writable: true });
    return copy;
  });

// ---------------------------------------------------------------------------------------------
// Reference models, written independently of the code under test

function isPlainObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasExactly(value: Json, keys: string[]): boolean {
  const own = Object.keys(value).sort();
  const wanted = [...keys].sort();
  return own.length === wanted.length && own.every((key, i) => key === wanted[i]);
}

const count = (value: unknown) => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
const text = (value: unknown) => typeof value === 'string' && value !== '';

/** ISO 8601 date-time of a real calendar day (Date.UTC round trip), from 2000 to a day ahead. */
function timestamp(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const match = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.\d{1,9})?(Z|[+-](\d\d):(\d\d))$/.exec(value);
  if (!match) return false;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number);
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  const real =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second &&
    (match[8] === undefined || (Number(match[8]) < 24 && Number(match[9]) < 60));
  const time = Date.parse(value);
  return real && time >= Date.UTC(2000, 0, 1) && time <= Date.now() + 86_400_000;
}

function wellFormedRecord(record: unknown): boolean {
  if (!isPlainObject(record) || !hasExactly(record, RECORD_KEYS)) return false;
  const r = record;
  return (
    timestamp(r.ts) &&
    text(r.call_site) &&
    r.attested === false &&
    (r.mode === 'warn' || r.mode === 'block' || r.mode === 'report') &&
    typeof r.blocked === 'boolean' &&
    (r.code_file === null || text(r.code_file)) &&
    (r.code_line === null || count(r.code_line)) &&
    (r.workspace_id === null || text(r.workspace_id)) &&
    count(r.pid) &&
    text(r.id)
  );
}

function wellFormedMessage(value: unknown): boolean {
  if (!isPlainObject(value) || !hasExactly(value, MESSAGE_KEYS)) return false;
  return (
    value.v === 1 &&
    value.type === 'records' &&
    count(value.seq) &&
    Array.isArray(value.records) &&
    value.records.every(wellFormedRecord)
  );
}

type Event = { kind: 'line'; line: string } | { kind: 'too-long' } | { kind: 'unterminated' };

/** What a line reader must report for a whole stream: split at newlines, cap each line. */
function expectedEvents(bytes: Uint8Array, maxBytes: number): Event[] {
  const events: Event[] = [];
  let start = 0;
  for (;;) {
    const newline = bytes.indexOf(NEWLINE, start);
    const end = newline === -1 ? bytes.length : newline;
    const length = end - start;
    if (length > maxBytes) events.push({ kind: 'too-long' });
    else if (newline !== -1)
      events.push({ kind: 'line', line: Buffer.from(bytes.subarray(start, end)).toString('hex') });
    else if (length > 0) events.push({ kind: 'unterminated' });
    if (newline === -1) return events;
    start = newline + 1;
  }
}

/** Feeds the chunks to a LineReader, then ends it; lines as hex for comparison. */
function readerEvents(chunks: Uint8Array[], maxBytes: number): Event[] {
  const events: Event[] = [];
  const reader = new LineReader(maxBytes, (event: LineEvent) =>
    events.push(event.kind === 'line' ? { kind: 'line', line: event.line.toString('hex') } : event),
  );
  for (const chunk of chunks) reader.push(Buffer.from(chunk));
  reader.end();
  return events;
}

/** Splits bytes at the given cut points (any values; taken modulo the length, sorted). */
function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => (bytes.length ? cut % (bytes.length + 1) : 0)))].sort(
    (a, b) => a - b,
  );
  const chunks: Uint8Array[] = [];
  let previous = 0;
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.subarray(previous, point));
    previous = point;
  }
  return chunks;
}

// ---------------------------------------------------------------------------------------------

describe('local daemon under arbitrary input (fast-check)', () => {
  describe('LineReader', () => {
    it('reports the same events however the stream is chunked, and no line longer than the cap', () => {
      fc.assert(
        fc.property(
          bytesArb(200),
          fc.integer({ min: 1, max: 24 }),
          fc.array(fc.nat(), { maxLength: 12 }),
          (bytes, maxBytes, cuts) => {
            const whole = readerEvents([bytes], maxBytes);
            assert.deepEqual(readerEvents(splitAt(bytes, cuts), maxBytes), whole);
            assert.deepEqual(whole, expectedEvents(bytes, maxBytes));
            for (const event of whole) {
              if (event.kind === 'line') {
                assert.ok(event.line.length / 2 <= maxBytes);
                assert.ok(!Buffer.from(event.line, 'hex').includes(NEWLINE));
              }
            }
          },
        ),
        { numRuns: 500 },
      );
    });

    it('reports the same events in odd-sized chunks as in one, around the real 64 KiB cap', () => {
      // Lines just under, at and over MAX_LINE_BYTES, fed in chunks that straddle every boundary.
      const lengths = fc.array(fc.integer({ min: MAX_LINE_BYTES - 2, max: MAX_LINE_BYTES + 2 }), {
        minLength: 1,
        maxLength: 3,
      });
      fc.assert(
        fc.property(lengths, fc.boolean(), (sizes, terminated) => {
          const parts = sizes.map((size, i) => Buffer.alloc(size, 0x61 + i));
          const bytes = Buffer.concat(
            parts.flatMap((part, i) =>
              i < parts.length - 1 || terminated ? [part, Buffer.from('\n')] : [part],
            ),
          );
          const whole = readerEvents([bytes], MAX_LINE_BYTES);
          assert.deepEqual(whole, expectedEvents(bytes, MAX_LINE_BYTES));
          const chunks: Uint8Array[] = [];
          for (let offset = 0; offset < bytes.length; offset += 1021)
            chunks.push(bytes.subarray(offset, offset + 1021));
          assert.deepEqual(readerEvents(chunks, MAX_LINE_BYTES), whole);
        }),
        { numRuns: 20 },
      );
    });
  });

  describe('validateMessage', () => {
    const checkShape = (value: unknown) => {
      const result = validateMessage(value);
      if (result.ok) {
        assert.equal(result.message, value);
      } else {
        assert.equal(typeof result.reason, 'string');
        assert.ok(result.reason.length > 0);
        // The seq is echoed exactly when the value carries a usable one.
        const seq = isPlainObject(value) && count(value.seq) ? value.seq : undefined;
        assert.equal(result.seq, seq);
      }
      return result;
    };

    it('never throws on arbitrary values and accepts exactly the well-formed messages', () => {
      fc.assert(
        fc.property(fc.oneof(fc.anything(), fc.jsonValue()), (value) => {
          assert.equal(checkShape(value).ok, wellFormedMessage(value));
        }),
        { numRuns: 1000 },
      );
    });

    it('accepts every encoded batch and agrees with the reference on every one-field mutation of it', () => {
      fc.assert(
        fc.property(messageArb, (message) => {
          const parsed: unknown = JSON.parse(encodeRecords(message.seq, message.records));
          assert.deepEqual(checkShape(parsed), { ok: true, message: parsed });
        }),
        { numRuns: 300 },
      );
      fc.assert(
        fc.property(mutatedMessageArb, (value) => {
          assert.equal(checkShape(value).ok, wellFormedMessage(value));
        }),
        { numRuns: 1000 },
      );
    });
  });

  describe("the fast path for batches in the guard's own form", () => {
    /** Printable ASCII without `"` and `\\`: the strings the fast path takes as they are. */
    const plain = fc
      .array(
        fc.integer({ min: 0x20, max: 0x7e }).filter((c) => c !== 0x22 && c !== 0x5c),
        {
          minLength: 1,
          maxLength: 20,
        },
      )
      .map((codes) => String.fromCharCode(...codes));
    const plainRecordArb: fc.Arbitrary<DetectionRecord> = recordArb.chain((record) =>
      fc
        .record({
          call_site: plain,
          id: plain,
          code_file: fc.option(plain, { nil: null }),
          workspace_id: fc.option(plain, { nil: null }),
        })
        .map((strings) => ({ ...record, ...strings })),
    );

    /** The general path's verdict: the seq and each record's JSON text, or undefined when refused. */
    const generalPath = (line: Buffer) => {
      let value: unknown;
      try {
        value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(line));
      } catch {
        return undefined;
      }
      const result = validateMessage(value);
      if (!result.ok) return undefined;
      return { seq: result.message.seq, records: result.message.records.map((r) => JSON.stringify(r)) };
    };

    it("takes every batch the guard's DaemonSink sends with plain strings, and reads it exactly", () => {
      fc.assert(
        fc.property(fc.maxSafeNat(), fc.array(plainRecordArb, { maxLength: 5 }), (seq, records) => {
          const line = Buffer.from(encodeRecords(seq, records).trimEnd());
          assert.deepEqual(readCanonicalBatch(line), { seq, records: records.map((r) => JSON.stringify(r)) });
        }),
        { numRuns: 500 },
      );
    });

    it('accepts nothing the general path refuses, and reads what it accepts the same way', () => {
      // Any batch (escapes, non-ASCII, nulls), then one byte changed, inserted or removed anywhere.
      const editArb = fc.record({
        kind: fc.constantFrom('replace', 'insert', 'delete', 'none'),
        at: fc.nat(),
        byte: fc.oneof(fc.nat(255), fc.constantFrom(0x22, 0x2c, 0x30, 0x39, 0x20, 0x5c, 0x7d, 0x5d)),
      });
      fc.assert(
        fc.property(
          fc.maxSafeNat(),
          fc.array(fc.oneof(recordArb, plainRecordArb), { maxLength: 3 }),
          editArb,
          (seq, records, edit) => {
            const bytes = [...Buffer.from(encodeRecords(seq, records).trimEnd())];
            const at = edit.at % (bytes.length + 1);
            if (edit.kind === 'replace' && at < bytes.length) bytes[at] = edit.byte;
            if (edit.kind === 'insert') bytes.splice(at, 0, edit.byte);
            if (edit.kind === 'delete') bytes.splice(at, 1);
            const line = Buffer.from(bytes);
            const fast = readCanonicalBatch(line);
            if (fast) assert.deepEqual(fast, generalPath(line), line.toString('latin1'));
          },
        ),
        { numRuns: 5000 },
      );
    });

    it('leaves to the general path what it cannot take as it is, which accepts it when valid', () => {
      const record: DetectionRecord = {
        ts: '2026-11-24T10:00:00.000Z',
        call_site: 'openai.OpenAI.chat',
        attested: false,
        mode: 'report',
        blocked: false,
        code_file: 'src/app.ts',
        code_line: 12,
        workspace_id: null,
        pid: 4242,
        id: 'f3b1c6e2-0c1a-4a57-9a53-1d2f1d6f2e01',
      };
      assert.ok(
        readCanonicalBatch(Buffer.from(encodeRecords(7, [record]).trimEnd())),
        'the plain record is taken',
      );
      for (const odd of [
        { ...record, code_file: 'src/café.ts' }, // non-ASCII
        { ...record, id: 'a"b' }, // an escape
        { ...record, ts: '2026-11-24T10:00:00Z' }, // valid, not toISOString's form
      ]) {
        const line = Buffer.from(encodeRecords(7, [odd]).trimEnd());
        assert.equal(readCanonicalBatch(line), undefined);
        assert.deepEqual(generalPath(line), { seq: 7, records: [JSON.stringify(odd)] });
      }
      // Out of range in each part of the timestamp, or of the window: refused by the fast path
      // (and by the general path, which names the value).
      for (const ts of ['2026-00-24', '2026-13-24', '2026-11-00', '2026-11-32']
        .map((d) => `${d}T10:00:00.000Z`)
        .concat(['24:00:00', '10:60:00', '10:00:60'].map((t) => `2026-11-24T${t}.000Z`))
        .concat(['2026-02-29T10:00:00.000Z', '1999-12-31T23:59:59.999Z', '9999-12-31T00:00:00.000Z'])) {
        const line = Buffer.from(encodeRecords(7, [{ ...record, ts }]).trimEnd());
        assert.equal(readCanonicalBatch(line), undefined, ts);
        assert.equal(generalPath(line), undefined, ts);
      }
      const spaced = Buffer.from(
        JSON.stringify({ v: 1, type: 'records', seq: 7, records: [record] }, null, 1),
      );
      assert.equal(readCanonicalBatch(spaced), undefined);
      assert.deepEqual(generalPath(spaced), { seq: 7, records: [JSON.stringify(record)] });
    });
  });

  describe('a live daemon', () => {
    let dir: string;
    let logFile: string;
    let handle: DaemonHandle;
    let nextSeq = 0;

    before(async () => {
      dir = tempDir();
      logFile = path.join(dir, 'log.jsonl');
      handle = await startDaemon({ socketPath: path.join(dir, 'd.sock'), logFile });
    });

    after(async () => {
      await handle.close();
    });

    /** Writes the stream in chunks of the given size, half-closes, and returns every reply. */
    async function exchange(stream: Buffer, chunkSize: number): Promise<Reply[]> {
      const client = await RawClient.connect(handle.socketPath);
      for (let offset = 0; offset < stream.length; offset += chunkSize)
        await client.send(stream.subarray(offset, offset + chunkSize));
      return client.finish();
    }

    /** A clean client's batch is still answered. */
    async function stillServing(): Promise<void> {
      const seq = nextSeq++;
      const replies = await exchange(Buffer.from(encodeRecords(seq, [])), 1 << 16);
      assert.deepEqual(replies, [{ v: 1, type: 'ack', seq }]);
    }

    const segmentArb = fc.oneof(
      { weight: 4, arbitrary: bytesArb(120).map((bytes) => ({ garbage: bytes })) },
      {
        weight: 1,
        arbitrary: fc
          .integer({ min: MAX_LINE_BYTES - 1, max: MAX_LINE_BYTES + 1 })
          .map((size) => ({ garbage: new Uint8Array(size).fill(0x7b) })),
      },
      { weight: 4, arbitrary: fc.array(recordArb, { maxLength: 3 }).map((records) => ({ records })) },
    );

    it('acks every valid batch that follows a newline amid arbitrary bytes, counts the rest, and stays up', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(segmentArb, { maxLength: 8 }),
          fc.integer({ min: 1, max: 700 }),
          async (segments, chunkSize) => {
            const before = handle.stats();
            const validLines = new Map<string, number>();
            const parts: Buffer[] = [];
            for (const segment of segments) {
              if ('garbage' in segment) {
                parts.push(Buffer.from(segment.garbage));
              } else {
                const seq = nextSeq++;
                const line = encodeRecords(seq, segment.records);
                validLines.set(Buffer.from(line.slice(0, -1)).toString('hex'), seq);
                parts.push(Buffer.from(`\n${line}`));
              }
            }
            const stream = Buffer.concat(parts);

            // What must come back: an ack per valid line, an error per other non-empty line.
            const expected: string[] = [];
            let start = 0;
            for (;;) {
              const newline = stream.indexOf(NEWLINE, start);
              const line = stream.subarray(start, newline === -1 ? stream.length : newline);
              if (line.length > 0) {
                const seq = newline === -1 ? undefined : validLines.get(line.toString('hex'));
                expected.push(seq === undefined ? 'error' : `ack ${seq}`);
              }
              if (newline === -1) break;
              start = newline + 1;
            }

            const replies = await exchange(stream, chunkSize);
            assert.deepEqual(
              replies.map((reply) => (reply.type === 'ack' ? `ack ${reply.seq}` : reply.type)),
              expected,
            );
            assert.ok(
              replies.every(
                (reply) => reply.v === 1 && (reply.type === 'ack' || typeof reply.reason === 'string'),
              ),
            );
            const after = handle.stats();
            assert.equal(after.accepted - before.accepted, validLines.size);
            assert.equal(
              after.rejected - before.rejected,
              expected.filter((kind) => kind === 'error').length,
            );
          },
        ),
        { numRuns: 60 },
      );
      await stillServing();
    });

    it('never writes any string from a rejected line to its log', async () => {
      const canaryArb = fc.stringMatching(/^[A-Za-z0-9]{10,16}$/).map((token) => `CANARY${token}`);
      type Kind =
        | 'prompt field'
        | 'unknown message field'
        | 'wrong version'
        | 'invalid field'
        | 'good record beside a bad one'
        | 'invalid UTF-8'
        | 'over 64 KiB'
        | 'cut off at hang-up';
      const kinds: Kind[] = [
        'prompt field',
        'unknown message field',
        'wrong version',
        'invalid field',
        'good record beside a bad one',
        'invalid UTF-8',
        'over 64 KiB',
      ];
      const rejectedLine = (kind: Kind, canary: string, record: DetectionRecord, seq: number): Buffer => {
        const carrying = { ...record, call_site: canary };
        const message = (value: Json) => Buffer.from(`${JSON.stringify(value)}\n`);
        switch (kind) {
          case 'prompt field':
            return message({ v: 1, type: 'records', seq, records: [{ ...record, prompt: canary }] });
          case 'unknown message field':
            return message({ v: 1, type: 'records', seq, records: [carrying], note: canary });
          case 'wrong version':
            return message({ v: 0, type: 'records', seq, records: [carrying] });
          case 'invalid field':
            return message({ v: 1, type: 'records', seq, records: [{ ...carrying, pid: -1 }] });
          case 'good record beside a bad one':
            // All or nothing: the well-formed first record must not be written either.
            return message({ v: 1, type: 'records', seq, records: [carrying, { ...record, mode: canary }] });
          case 'invalid UTF-8': {
            const [head, tail] = encodeRecords(seq, [carrying]).split(canary);
            return Buffer.concat([
              Buffer.from(head),
              Buffer.from(canary),
              Buffer.from([0xc3, 0x28]),
              Buffer.from(tail),
            ]);
          }
          case 'over 64 KiB':
            return Buffer.from(
              encodeRecords(seq, [{ ...record, call_site: canary.padEnd(MAX_LINE_BYTES, canary) }]),
            );
          case 'cut off at hang-up': {
            const line = encodeRecords(seq, [carrying]);
            return Buffer.from(line.slice(0, line.indexOf(canary) + canary.length));
          }
        }
      };

      const seen = new Set<string>();
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.oneof(
              fc.record({ kind: fc.constantFrom(...kinds), canary: canaryArb, record: recordArb }),
              fc.record({ records: fc.array(recordArb, { minLength: 1, maxLength: 2 }) }),
            ),
            { minLength: 1, maxLength: 6 },
          ),
          fc.option(fc.record({ canary: canaryArb, record: recordArb }), { nil: undefined }),
          fc.integer({ min: 7, max: 5000 }),
          async (items, cutOff, chunkSize) => {
            const canaries: string[] = [];
            const acked: number[] = [];
            const parts: Buffer[] = [];
            for (const item of items) {
              const seq = nextSeq++;
              if ('kind' in item) {
                canaries.push(item.canary);
                parts.push(rejectedLine(item.kind, item.canary, item.record, seq));
              } else {
                // Valid batches get fresh ids, so "logged" can be told apart from earlier runs.
                const records = item.records.map((record, i) => ({ ...record, id: `fuzz-${seq}-${i}` }));
                acked.push(seq);
                parts.push(Buffer.from(encodeRecords(seq, records)));
              }
            }
            if (cutOff) {
              canaries.push(cutOff.canary);
              parts.push(rejectedLine('cut off at hang-up', cutOff.canary, cutOff.record, nextSeq++));
            }
            const replies = await exchange(Buffer.concat(parts), chunkSize);
            assert.deepEqual(
              replies.filter((reply) => reply.type === 'ack').map((reply) => reply.seq),
              acked,
            );
            assert.equal(replies.length, items.length + (cutOff ? 1 : 0));

            const logged = fs.readFileSync(logFile, 'utf8');
            for (const canary of canaries) assert.ok(!logged.includes(canary), `${canary} was logged`);
            for (const seq of acked) seen.add(`fuzz-${seq}-0`);
          },
        ),
        { numRuns: 60 },
      );
      // Every acked batch is in the log (each line of which parses).
      const ids = new Set(readLog(logFile).map((record) => record.id));
      for (const id of seen) assert.ok(ids.has(id), `${id} is logged`);
      await stillServing();
    });
  });
});
