import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { recordJson } from '../src/record-line';
import type { DetectionRecord } from '../src/types';

const record = fc.record({
  ts: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  call_site: fc.string({ unit: 'binary' }),
  attested: fc.constant(false as const),
  mode: fc.constantFrom('warn' as const, 'block' as const, 'report' as const),
  blocked: fc.boolean(),
  code_file: fc.option(fc.string({ unit: 'binary' }), { nil: null }),
  code_line: fc.option(fc.nat(), { nil: null }),
  workspace_id: fc.option(fc.string({ unit: 'binary' }), { nil: null }),
  pid: fc.nat(),
  id: fc.uuid(),
});

describe('recordJson', () => {
  it('writes exactly what JSON.stringify writes for any well-formed record (quotes, control and lone surrogate characters included)', () => {
    fc.assert(
      fc.property(record, (r) => {
        assert.equal(recordJson(r), JSON.stringify(r));
      }),
      { numRuns: 2000 },
    );
  });

  it('falls back to JSON.stringify for a record with a missing, extra or oddly typed field, so the line is still valid JSON', () => {
    const base: DetectionRecord = {
      ts: '2026-11-24T00:00:00.000Z',
      call_site: 'openai.OpenAI.chat',
      attested: false,
      mode: 'warn',
      blocked: false,
      code_file: null,
      code_line: null,
      workspace_id: null,
      pid: 1,
      id: 'x',
    };
    const odd = [
      { ...base, call_site: undefined },
      { ...base, extra: 1 },
      { ...base, code_line: 1.5 },
      { ...base, workspace_id: 7 },
    ] as unknown as DetectionRecord[];
    for (const r of odd) {
      const line = recordJson(r);
      assert.equal(line, JSON.stringify(r));
      assert.doesNotThrow(() => JSON.parse(line));
    }
  });
});
