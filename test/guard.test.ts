import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { onUnattestedCall } from '../src/app/call-handlers';
import { openai } from '../src/app/sdks/openai';
import type { SdkDefinition } from '../src/app/sdks/definition';
import nock from 'nock';
import { captureDiag } from './helpers/diag';
import { captureWarnings, clearRecords, readRecords, useGuard } from './helpers/guard';
import { BASE_URL, chatCompletion, loadOpenAI, makeClient, userMessage } from './helpers/openai';

/** A stand-in for a patched method: records how it was called. */
function original(this: unknown, ...args: unknown[]) {
  return { self: this, args };
}

describe('guard decision', () => {
  beforeEach(() => clearRecords());
  after(() => useGuard({ mode: 'warn' }));

  it("lets the call through and logs through diag when the guard's own check fails", async () => {
    const broken: SdkDefinition = {
      ...openai,
      describe() {
        throw new Error('SDK changed shape');
      },
    };
    const messages = await captureDiag(() => {
      useGuard({ mode: 'block' });
      const self = {};
      const result = onUnattestedCall(
        broken,
        original,
        self,
        ['post', '/chat/completions', {}],
        'methodRequest',
      );
      assert.deepEqual(result, { self, args: ['post', '/chat/completions', {}] });
    });
    assert.ok(messages.some((m) => m.includes('guard check failed for a openai call')));
  });

  it('warns on every call with warnOnce: false and omits the location with captureCallSite: false', async () => {
    const client = makeClient(loadOpenAI(6)); // before useGuard: loading resets the guard's config
    useGuard({ mode: 'warn', warnOnce: false, captureCallSite: false });
    const capture = captureWarnings();
    try {
      for (let i = 0; i < 3; i++)
        onUnattestedCall(openai, original, client, ['post', '/embeddings', {}], 'methodRequest');
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

  it('reports a call through a higher layer once, under the outermost patched call', async () => {
    useGuard({ mode: 'report' });
    const outer: SdkDefinition = {
      ...openai,
      module: 'higher-layer',
      coversInnerCalls: true,
      describe: () => ({ callSite: 'higher-layer.complete', provider: 'openai', operation: 'chat' }),
    };
    const client = makeClient(loadOpenAI(6));
    nock(new URL(BASE_URL).origin).post('/v1/chat/completions').times(2).reply(200, chatCompletion());
    // The higher layer's own work ends in a patched openai call, after an await. It is a
    // library's code (under node_modules): user code there would be an independent call.
    const higherLayerOriginal = vm.runInThisContext(
      `(client, messages) => async () => {
        await new Promise((resolve) => setImmediate(resolve));
        return client.chat.completions.create({ model: 'm', messages });
      }`,
      { filename: path.join(os.tmpdir(), 'node_modules', 'higher-layer', 'index.js') },
    )(client, userMessage) as () => Promise<unknown>;
    await onUnattestedCall(outer, higherLayerOriginal, undefined, [], 'complete');
    await client.chat.completions.create({ model: 'm', messages: userMessage });
    const records = await readRecords();
    assert.deepEqual(
      records.map((r) => r.call_site),
      ['higher-layer.complete', 'openai.OpenAI.chat'],
      'the inner call is covered by the outer record; a later direct call is reported',
    );
  });

  it('names a call after a path segment only when the client has a resource by that name', async () => {
    const client = makeClient(loadOpenAI(6));
    useGuard({ mode: 'report' });
    const paths = [
      '/constructor/x', // an Object.prototype member
      '/LEAKX7q%20my%20salary/x', // user text in a path (client.post('/' + text))
      '/file-abc123', // an id
      `/${'a'.repeat(200)}`,
      '/vector_stores/vs_1/search', // a resource the client publishes as vectorStores
      '/fine_tuning/jobs',
    ];
    for (const path of paths) onUnattestedCall(openai, original, client, ['post', path, {}], 'methodRequest');
    const records = await readRecords();
    assert.deepEqual(
      records.map((r) => r.call_site),
      [
        'openai.OpenAI.request',
        'openai.OpenAI.request',
        'openai.OpenAI.request',
        'openai.OpenAI.request',
        'openai.OpenAI.vector_stores',
        'openai.OpenAI.fine_tuning',
      ],
    );
    assert.ok(!JSON.stringify(records).includes('LEAKX7q'));
  });
});
