import * as assert from 'node:assert/strict';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { onUnattestedCall } from '../src/guard';
import { openai } from '../src/sdks/openai';
import type { SdkDefinition } from '../src/sdks/definition';
import { captureWarnings, clearRecords, readRecords, useGuard } from './helpers/guard';

/** A stand-in for a patched method: records how it was called. */
function original(this: unknown, ...args: unknown[]) {
  return { self: this, args };
}

describe('guard decision', () => {
  beforeEach(() => clearRecords());
  after(() => useGuard({ mode: 'warn' }));

  it("lets the call through and logs through diag when the guard's own check fails", () => {
    const messages: string[] = [];
    const collect = (...args: unknown[]) => messages.push(args.map(String).join(' '));
    diag.setLogger(
      { error: collect, warn: collect, info: () => {}, debug: () => {}, verbose: () => {} },
      { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
    );
    const broken: SdkDefinition = {
      ...openai,
      describe() {
        throw new Error('SDK changed shape');
      },
    };
    try {
      useGuard({ mode: 'block' });
      const self = {};
      const result = onUnattestedCall(broken, original, self, ['post', '/chat/completions', {}]);
      assert.deepEqual(result, { self, args: ['post', '/chat/completions', {}] });
      assert.ok(messages.some((m) => m.includes('guard check failed for a openai call')));
    } finally {
      diag.disable();
    }
  });

  it('warns on every call with warnOnce: false and omits the location with captureCallSite: false', async () => {
    useGuard({ mode: 'warn', warnOnce: false, captureCallSite: false });
    const capture = captureWarnings();
    try {
      for (let i = 0; i < 3; i++) onUnattestedCall(openai, original, {}, ['post', '/embeddings', {}]);
      await capture.settle();
    } finally {
      capture.stop();
    }
    assert.equal(capture.warnings.length, 3);
    const records = await readRecords();
    assert.equal(records.length, 3);
    assert.ok(records.every((r) => r.code_file === null && r.code_line === null));
    assert.ok(records.every((r) => r.call_site === 'openai.OpenAI.embeddings'));
  });
});
