import * as assert from 'node:assert/strict';
import { encodeRecordsJson, MAX_LINE_BYTES } from '../src/app/daemon-wire/protocol';
import { firstWireBatch } from '../src/app/sinks/daemon-batches';
import { detection } from './fixtures/daemon-client/records';

/** What the daemon client does with a queue: the first batch off the front, until it is empty. */
function drain(queue: ReturnType<typeof detection>[]) {
  const rest = [...queue];
  const batches = [];
  while (rest.length) {
    const batch = firstWireBatch(rest);
    rest.splice(0, batch.records.length);
    batches.push(batch);
  }
  return batches;
}

describe('daemon client batches (firstWireBatch)', () => {
  it("cuts a long queue into batches whose protocol line stays under the daemon's cap, every record once and in order", () => {
    // Records of 255 bytes of JSON (256 with the newline): a cut that left no room for the message
    // envelope would pack one line with exactly MAX_LINE_BYTES of records, and the envelope would not fit.
    const bare = JSON.stringify(detection('r-0000', '')).length;
    const record = (i: number) => detection(`r-${String(i).padStart(4, '0')}`, 'y'.repeat(255 - bare));
    assert.equal(JSON.stringify(record(0)).length, 255);
    const queue = Array.from({ length: 1000 }, (_, i) => record(i));
    const batches = drain(queue);
    assert.ok(
      batches.length > 1,
      `one line cannot hold 1000 records of 256 bytes (got ${batches.length} batch)`,
    );
    for (const [seq, batch] of batches.entries()) {
      assert.equal(batch.tooLong, false);
      const line = encodeRecordsJson(seq + 1, batch.json);
      assert.ok(
        Buffer.byteLength(line) <= MAX_LINE_BYTES,
        `batch ${seq} is ${Buffer.byteLength(line)} bytes`,
      );
      assert.deepEqual(
        batch.json.map((json) => (JSON.parse(json) as { id: string }).id),
        batch.records.map((record) => record.id),
        'the JSON sent is the JSON of the records kept for the ack',
      );
    }
    assert.deepEqual(
      batches.flatMap((batch) => batch.records.map((record) => record.id)),
      queue.map((record) => record.id),
    );
  });

  it('gives a record too long for one line a batch of its own, marked for the file', () => {
    const batches = drain([detection('a'), detection('huge', 'x'.repeat(MAX_LINE_BYTES)), detection('b')]);
    assert.deepEqual(
      batches.map((batch) => [batch.records.map((record) => record.id), batch.tooLong]),
      [
        [['a'], false],
        [['huge'], true],
        [['b'], false],
      ],
    );
  });
});
