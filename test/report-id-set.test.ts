import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { RecordIdSet } from '../src/command/cli/record-id-set';

describe('RecordIdSet (the report counts each record id once)', () => {
  it('answers exactly as a Set of the id strings, for UUIDs and any other id, across growth', () => {
    const uuid = fc.uuid();
    // Few distinct values, so repeats are common; UUIDs differing in one word, and near-UUIDs.
    const id = fc.oneof(
      uuid,
      fc.constantFrom(
        '00000000-0000-0000-0000-000000000000',
        '00000000-0000-0000-0000-000000000001',
        '10000000-0000-0000-0000-000000000000',
        '00000000-0000-0000-0000-00000000000A',
        'a1',
        '',
      ),
      fc.string({ maxLength: 40 }),
    );
    fc.assert(
      fc.property(fc.array(id, { maxLength: 3000 }), (ids) => {
        const set = new RecordIdSet();
        const reference = new Set<string>();
        for (const value of ids) {
          assert.equal(set.add(value), !reference.has(value), value);
          reference.add(value);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('keeps 100,000 distinct UUIDs apart and recognises every one again', () => {
    const set = new RecordIdSet();
    const ids = Array.from(
      { length: 100_000 },
      (_, i) => `${i.toString(16).padStart(8, '0')}-0c1a-4a57-9a53-1d2f1d6f2e01`,
    );
    for (const id of ids) assert.equal(set.add(id), true);
    for (const id of ids) assert.equal(set.add(id), false);
  });
});
