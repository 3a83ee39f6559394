import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { attest, MimaAttestationError, MimaGovernance } from '../src';
import { FIXTURES, runRegisteredApp } from './helpers/esm-app';
import { captureWarnings, LOG_FILE, readRecords, useGuard } from './helpers/guard';
import {
  chatReply,
  chatStreamBody,
  embeddingsReply,
  loadMistral,
  makeMistral,
  MISTRAL_DIR,
  MISTRAL_MODEL,
  MISTRAL_ORIGIN,
  mistralPath,
  type MistralClient,
} from './helpers/mistral';
import { countingReply } from './helpers/mock-http';
import { CANARY } from './helpers/openai';
import { isolateSdkTests } from './helpers/sdk-suite';
import { recordSpans } from './helpers/spans';

const messages = [{ role: 'user', content: CANARY }];

/** Replies to `times` POSTs to `path`, counting the requests that really left the client. */
const mockMistral = (path: string, reply: () => string | object, times = 1) =>
  countingReply(MISTRAL_ORIGIN, path, reply, { times });
const mockChat = (times = 1) => mockMistral('/v1/chat/completions', () => chatReply(), times);
const mockChatStream = () =>
  countingReply(MISTRAL_ORIGIN, '/v1/chat/completions', () => chatStreamBody('hel', 'lo'), {
    headers: { 'content-type': 'text/event-stream' },
  });

async function collect(stream: AsyncIterable<{ data: { choices: Array<{ delta: { content?: string } }> } }>) {
  let text = '';
  for await (const event of stream) text += event.data.choices[0].delta.content ?? '';
  return text;
}

describe('@mistralai/mistralai 2.x (a CommonJS app: require() of the ES module)', () => {
  let client: MistralClient;
  const chat = () => client.chat.complete({ model: MISTRAL_MODEL, messages });

  before(() => {
    client = makeMistral(loadMistral());
  });

  isolateSdkTests();

  it('lets attested chat, stream, FIM and embeddings calls through and records nothing', async () => {
    useGuard({ mode: 'block' });
    const seen = [
      mockChat(),
      mockChatStream(),
      mockMistral('/v1/fim/completions', () => chatReply('def')),
      mockMistral('/v1/embeddings', embeddingsReply),
    ];
    const answers = await attest(async () => ({
      chat: (await chat()).choices[0].message.content,
      stream: await collect(await client.chat.stream({ model: MISTRAL_MODEL, messages })),
      fim: (await client.fim.complete({ model: 'codestral-latest', prompt: CANARY })).choices[0].message
        .content,
      embedding: (await client.embeddings.create({ model: 'mistral-embed', inputs: [CANARY] })).data[0]
        .embedding,
    }))();
    assert.deepEqual(answers, { chat: 'hello', stream: 'hello', fim: 'def', embedding: [0.5] });
    assert.deepEqual(
      seen.map((s) => s.requests),
      [1, 1, 1, 1],
    );
    assert.deepEqual(await readRecords(), []);
  });

  it('block mode rejects chat.complete with MimaAttestationError before any request leaves', async () => {
    useGuard({ mode: 'block' });
    const seen = mockChat();
    let promise: Promise<unknown> | undefined;
    assert.doesNotThrow(() => {
      promise = chat();
    }, 'never a synchronous throw');
    await assert.rejects(promise!, (error: unknown) => {
      assert.ok(error instanceof MimaAttestationError);
      assert.equal(error.code, 'MIMA_UNATTESTED_CALL');
      assert.equal(error.callSite, 'mistral.Mistral.chat');
      assert.match(error.message, /attest\(\)/, 'names the fix');
      assert.ok(!error.message.includes(CANARY));
      return true;
    });
    assert.equal(seen.requests, 0, 'no request reached the server');
    const [record] = await readRecords();
    assert.equal(record.call_site, 'mistral.Mistral.chat');
    assert.equal(record.blocked, true);
  });

  it('treats every call through a client passed to MimaGovernance.wrap as attested, sub-clients included', async () => {
    const wrapped = new MimaGovernance({ systemName: 'test' }).wrap(makeMistral(loadMistral()));
    useGuard({ mode: 'block' }); // after loadMistral(), which enables the guard with its defaults
    const seen = mockChat();
    await wrapped.chat.complete({ model: MISTRAL_MODEL, messages });
    assert.equal(seen.requests, 1);
    await assert.rejects(chat(), MimaAttestationError, 'another client stays guarded');
  });

  it("block mode hands the standalone functions the SDK's own error Result", async () => {
    useGuard({ mode: 'block' });
    const seen = mockChat();
    const { MistralCore } = require(mistralPath('@mistralai/mistralai/core.js')) as {
      MistralCore: new (options: object) => object;
    };
    const { chatComplete } = require(mistralPath('@mistralai/mistralai/funcs/chatComplete.js')) as {
      chatComplete(core: object, request: object): Promise<{ ok: boolean; error?: unknown }>;
    };
    const core = new MistralCore({ apiKey: 'test-key', serverURL: MISTRAL_ORIGIN });
    const result = await chatComplete(core, { model: MISTRAL_MODEL, messages });
    assert.equal(result.ok, false);
    assert.ok(result.error instanceof MimaAttestationError);
    assert.equal(result.error.callSite, 'mistral.Mistral.chat', 'named from the request path');
    assert.equal(seen.requests, 0);
  });

  it('warn mode warns once, lets the call through and reports every call', async () => {
    useGuard({ mode: 'warn' });
    const seen = mockChat(3);
    const capture = captureWarnings();
    try {
      for (let i = 0; i < 3; i++) assert.equal((await chat()).choices[0].message.content, 'hello');
      await capture.settle();
    } finally {
      capture.stop();
    }
    assert.equal(seen.requests, 3);
    assert.equal(capture.warnings.length, 1, 'one warning for one (call site, location)');
    assert.match(capture.warnings[0].message, /mistral\.Mistral\.chat/);
    assert.ok(!capture.warnings[0].message.includes(CANARY));
    const records = await readRecords();
    assert.equal(records.length, 3);
    assert.ok(records.every((r) => r.call_site === 'mistral.Mistral.chat' && !r.blocked));
  });

  it('report mode is silent, lets the stream through and writes a JSONL record without content', async () => {
    useGuard({ mode: 'report' });
    const seen = mockChatStream();
    const capture = captureWarnings();
    let text: string;
    try {
      text = await collect(await client.chat.stream({ model: MISTRAL_MODEL, messages }));
      await capture.settle();
    } finally {
      capture.stop();
    }
    assert.equal(text, 'hello');
    assert.equal(seen.requests, 1);
    assert.equal(capture.warnings.length, 0);
    const [record] = await readRecords();
    assert.equal(record.call_site, 'mistral.Mistral.chat');
    assert.equal(record.mode, 'report');
    assert.ok(!fs.readFileSync(LOG_FILE, 'utf8').includes(CANARY));
  });

  it('names the call site after the sub-SDK the call was made on', async () => {
    useGuard({ mode: 'block' });
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['mistral.Mistral.chat', chat],
      [
        'mistral.Mistral.embeddings',
        () => client.embeddings.create({ model: 'mistral-embed', inputs: [CANARY] }),
      ],
      ['mistral.Mistral.fim', () => client.fim.complete({ model: 'codestral-latest', prompt: CANARY })],
      ['mistral.Mistral.agents', () => client.agents.complete({ agentId: 'ag-1', messages })],
      ['mistral.Mistral.classifiers', () => client.classifiers.moderate({ model: 'mod', inputs: [CANARY] })],
      // a nested sub-SDK (client.batch.jobs) is named after the innermost one
      ['mistral.Mistral.jobs', () => client.batch.jobs.list()],
    ];
    for (const [callSite, call] of calls) {
      await assert.rejects(call(), (error: MimaAttestationError) => error.callSite === callSite);
    }
    assert.deepEqual(
      (await readRecords()).map((r) => r.call_site),
      calls.map(([callSite]) => callSite),
    );
  });

  describe('mima.ai_call span', () => {
    const { exporter } = recordSpans({ mode: 'block' });

    it('carries mistral_ai, the operation and the request model, never the content', async () => {
      const calls: Array<[() => Promise<unknown>, string, string]> = [
        [chat, 'chat', MISTRAL_MODEL],
        [() => client.chat.stream({ model: MISTRAL_MODEL, messages }), 'chat', MISTRAL_MODEL],
        [
          () => client.fim.complete({ model: 'codestral-latest', prompt: CANARY }),
          'text_completion',
          'codestral-latest',
        ],
        [
          () => client.embeddings.create({ model: 'mistral-embed', inputs: [CANARY] }),
          'embeddings',
          'mistral-embed',
        ],
      ];
      for (const [call] of calls) await assert.rejects(call(), MimaAttestationError);
      const spans = exporter.getFinishedSpans();
      assert.deepEqual(
        spans.map((s) => [
          s.attributes['gen_ai.provider.name'],
          s.attributes['gen_ai.operation.name'],
          s.attributes['gen_ai.request.model'],
        ]),
        calls.map(([, operation, model]) => ['mistral_ai', operation, model]),
      );
      assert.ok(!JSON.stringify(spans.map((s) => s.attributes)).includes(CANARY), 'no content on the spans');
    });
  });
});

/** Runs the app under `node --import …/register` in block mode. */
function runApp(how: 'import' | 'require') {
  const output = runRegisteredApp(path.join(FIXTURES, 'mistral', 'app.mjs'), [MISTRAL_DIR, how]);
  return JSON.parse(output) as Record<string, unknown>;
}

const blocked = {
  attested: 'hello',
  unattested: 'MimaAttestationError:mistral.Mistral.chat',
  stream: 'MimaAttestationError:mistral.Mistral.chat',
  unattestedRequests: 0,
};

describe('@mistralai/mistralai 2.x (child processes under node --import …/register)', () => {
  it('patches the ES module app through esm/lib/sdks.js and blocks before any request', () => {
    assert.deepEqual(runApp('import'), {
      ...blocked,
      patchPoints: ['esm/lib/sdks.js#ClientSDK._createRequest'],
    });
  });

  it('patches a CommonJS app that requires the ES module, through whichever module the hooks see', () => {
    const { patchPoints, ...calls } = runApp('require');
    assert.deepEqual(calls, blocked);
    // Node 20 shows the hooks only the required entry; Node 22's loader hooks also see its imports.
    assert.equal((patchPoints as string[]).length, 1);
    assert.ok(
      ['@mistralai/mistralai#ClientSDK._createRequest', 'esm/lib/sdks.js#ClientSDK._createRequest'].includes(
        (patchPoints as string[])[0],
      ),
    );
  });
});
