import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import nock from 'nock';
import { disableGuard, getGuardStatus, MimaAttestationError } from '../src';
import { isGuardWrapper } from '../src/app/patch';
import { guardWarnings, runChild } from './helpers/child-app';
import { FIXTURES, runRegisteredApp } from './helpers/esm-app';
import { captureWarnings, LOG_FILE, readRecords, ROOT, useGuard } from './helpers/guard';
import {
  EMBEDDING,
  embeddingReply,
  litellmOpenAI,
  loadLitellm,
  OPENAI_DEFAULT_HOST,
  type LitellmModule,
} from './helpers/litellm';
import { countingReply } from './helpers/mock-http';
import { BASE_URL, CANARY, chatCompletion, makeClient, userMessage } from './helpers/openai';
import { isolateSdkTests } from './helpers/sdk-suite';
import { recordSpans } from './helpers/spans';

const HOST = new URL(BASE_URL).origin;

/** A litellm completion of an OpenAI model: it goes through litellm's bundled openai client. */
const gptParams = { model: 'gpt-4o-mini', messages: userMessage, baseUrl: BASE_URL, apiKey: 'test-key' };
const embeddingParams = { model: 'text-embedding-3-small', input: CANARY, apiKey: 'test-key' };

/** Chat reply interceptor that counts the requests that really left. */
const mockChat = (times = 1) =>
  countingReply(HOST, '/v1/chat/completions', () => chatCompletion(), { times });

function isBlockedAt(callSite: string) {
  return (error: unknown) => {
    assert.ok(error instanceof MimaAttestationError);
    assert.equal(error.callSite, callSite);
    assert.ok(!error.message.includes(CANARY));
    return true;
  };
}

describe('litellm 0.12 (CommonJS)', () => {
  let litellm: LitellmModule;

  before(() => {
    litellm = loadLitellm();
  });

  isolateSdkTests();

  it("patches completion and embedding in their own files, so litellm's index returns the wrappers", () => {
    assert.ok(isGuardWrapper(litellm.completion), 'require("litellm").completion is the wrapper');
    assert.ok(isGuardWrapper(litellm.embedding), 'require("litellm").embedding is the wrapper');
    const status = getGuardStatus().sdks.find((s) => s.module === 'litellm');
    assert.deepEqual(
      status?.patches.map((p) => [p.version, p.patchPoint, p.active]),
      [
        ['0.12.0', 'dist/src/completion.js#completion', true],
        ['0.12.0', 'dist/src/embedding.js#embedding', true],
      ],
    );
    assert.equal('acompletion' in litellm, false, 'litellm 0.12 exports no acompletion');
  });

  it("disableGuard restores litellm's own functions and a later enable puts the wrappers back", async () => {
    await disableGuard();
    try {
      assert.equal(isGuardWrapper(litellm.completion), false);
      assert.equal(isGuardWrapper(litellm.embedding), false);
    } finally {
      useGuard();
    }
    assert.ok(isGuardWrapper(litellm.completion));
    assert.ok(isGuardWrapper(litellm.embedding));
  });

  it('block mode rejects a completion with MimaAttestationError before any request leaves', async () => {
    useGuard({ mode: 'block' });
    const seen = mockChat();
    let promise: Promise<unknown> | undefined;
    assert.doesNotThrow(() => {
      promise = litellm.completion(gptParams);
    }, 'delivered as a rejection, like litellm’s own errors');
    await assert.rejects(promise!, (error: unknown) => {
      isBlockedAt('litellm.completion')(error);
      assert.match((error as Error).message, /litellm\.test\.js:\d+/, 'names the user file:line');
      return true;
    });
    assert.equal(seen.requests, 0, 'no request reached the server');
    const records = await readRecords();
    assert.deepEqual(
      records.map((r) => [r.call_site, r.blocked, r.mode]),
      [['litellm.completion', true, 'block']],
    );
  });

  it('block mode rejects an embedding before any request leaves', async () => {
    useGuard({ mode: 'block' });
    const scope = nock(OPENAI_DEFAULT_HOST).post('/v1/embeddings').reply(200, embeddingReply());
    let promise: Promise<unknown> | undefined;
    assert.doesNotThrow(() => {
      promise = litellm.embedding(embeddingParams);
    });
    await assert.rejects(promise!, isBlockedAt('litellm.embedding'));
    assert.equal(scope.isDone(), false, 'the embedding request never left');
    assert.deepEqual(
      (await readRecords()).map((r) => r.call_site),
      ['litellm.embedding'],
    );
  });

  it('warn mode warns once about the litellm call, never about the openai call inside it', async () => {
    useGuard({ mode: 'warn' });
    const seen = mockChat(2);
    const capture = captureWarnings();
    try {
      for (let i = 0; i < 2; i++) await litellm.completion(gptParams);
      await capture.settle();
    } finally {
      capture.stop();
    }
    assert.equal(seen.requests, 2);
    assert.equal(capture.warnings.length, 1, 'one warning for one (call site, location)');
    assert.match(capture.warnings[0].message, /litellm\.completion at .*litellm\.test\.js:\d+/);
    assert.ok(!capture.warnings[0].message.includes(CANARY));
    const records = await readRecords();
    assert.deepEqual(
      records.map((r) => [r.call_site, r.blocked, r.mode]),
      [
        ['litellm.completion', false, 'warn'],
        ['litellm.completion', false, 'warn'],
      ],
    );
  });

  it('report mode writes one record for a completion of an OpenAI model, not a second for its openai call', async () => {
    useGuard({ mode: 'report' });
    const seen = mockChat();
    const capture = captureWarnings();
    try {
      const answer = await litellm.completion(gptParams);
      assert.equal(answer.choices[0].message.content, 'hello');
      await capture.settle();
    } finally {
      capture.stop();
    }
    assert.equal(seen.requests, 1, 'the call went through litellm’s openai client');
    assert.equal(capture.warnings.length, 0);
    const records = await readRecords();
    assert.equal(records.length, 1);
    assert.equal(records[0].call_site, 'litellm.completion');
    assert.equal(records[0].blocked, false);
    assert.match(records[0].code_file ?? '', /litellm\.test\.js$/);
    assert.ok(!fs.readFileSync(LOG_FILE, 'utf8').includes(CANARY));
  });

  it('report mode records an embedding once; litellm sends it to api.openai.com whatever baseUrl says', async () => {
    useGuard({ mode: 'report' });
    const scope = nock(OPENAI_DEFAULT_HOST).post('/v1/embeddings').reply(200, embeddingReply());
    const reply = await litellm.embedding({ ...embeddingParams, baseUrl: BASE_URL });
    assert.deepEqual(reply.data[0].embedding, EMBEDDING);
    assert.ok(scope.isDone());
    assert.deepEqual(
      (await readRecords()).map((r) => r.call_site),
      ['litellm.embedding'],
    );
  });

  it('report mode records a completion that litellm sends with fetch (ollama)', async () => {
    useGuard({ mode: 'report' });
    const scope = nock('http://ollama.test')
      .post('/api/generate')
      .reply(200, `${JSON.stringify({ model: 'llama3', response: 'hello', done: true })}\n`);
    const answer = await litellm.completion({
      model: 'ollama/llama3',
      messages: userMessage,
      baseUrl: 'http://ollama.test',
    });
    assert.equal(answer.choices[0].message.content, 'hello');
    assert.ok(scope.isDone());
    assert.deepEqual(
      (await readRecords()).map((r) => r.call_site),
      ['litellm.completion'],
    );
  });

  it('reports a direct openai call made after a litellm call: covering ends with the litellm call', async () => {
    useGuard({ mode: 'report' });
    const seen = mockChat(2);
    const bundledClient = makeClient(litellmOpenAI());
    await litellm.completion(gptParams);
    await bundledClient.chat.completions.create({ model: 'gpt-test', messages: userMessage });
    assert.equal(seen.requests, 2);
    assert.deepEqual(
      (await readRecords()).map((r) => r.call_site),
      ['litellm.completion', 'openai.OpenAI.chat'],
    );
  });

  it('reports a direct openai call made while a litellm call is in flight: covering follows the call, not the clock', async () => {
    useGuard({ mode: 'report' });
    const seen = countingReply(HOST, '/v1/chat/completions', () => chatCompletion(), { times: 2, delay: 30 });
    const bundledClient = makeClient(litellmOpenAI());
    const viaLitellm = litellm.completion(gptParams);
    const direct = bundledClient.chat.completions.create({ model: 'gpt-test', messages: userMessage });
    await Promise.all([viaLitellm, direct]);
    assert.equal(seen.requests, 2);
    assert.deepEqual((await readRecords()).map((r) => r.call_site).sort(), [
      'litellm.completion',
      'openai.OpenAI.chat',
    ]);
  });

  describe('mima.ai_call spans', () => {
    const { exporter } = recordSpans();

    function spanAttributes() {
      return exporter
        .getFinishedSpans()
        .filter((span) => span.name === 'mima.ai_call')
        .map((span) => [
          span.attributes['mima.call_site'],
          span.attributes['gen_ai.provider.name'],
          span.attributes['gen_ai.operation.name'],
          span.attributes['gen_ai.request.model'],
        ]);
    }

    it('name the provider litellm routes the model to, the operation and the request model, never content', async () => {
      useGuard({ mode: 'block' });
      const completions: Array<[model: string, provider: string]> = [
        ['gpt-4o-mini', 'openai'],
        ['openai/o3-mini', 'openai'],
        ['claude-3-haiku', 'anthropic'],
        ['command-r', 'cohere'],
        ['ollama/llama3', 'ollama'],
        ['mistral/mistral-small', 'mistral_ai'],
        ['j2-ultra', 'litellm'],
        ['replicate/meta/llama-3', 'litellm'],
        // litellm takes the first of its patterns found anywhere in the name: 'gpt-' comes before 'ollama/'.
        ['ollama/gpt-oss', 'openai'],
        ['unknown-model', 'litellm'],
      ];
      const embeddings: Array<[model: string, provider: string]> = [
        ['text-embedding-3-small', 'openai'],
        ['ollama/nomic-embed-text', 'ollama'],
        ['mistral/mistral-embed', 'mistral_ai'],
      ];
      for (const [model] of completions) {
        await assert.rejects(litellm.completion({ model, messages: userMessage }), MimaAttestationError);
      }
      for (const [model] of embeddings) {
        await assert.rejects(litellm.embedding({ model, input: CANARY }), MimaAttestationError);
      }
      assert.deepEqual(spanAttributes(), [
        ...completions.map(([model, provider]) => ['litellm.completion', provider, 'chat', model]),
        ...embeddings.map(([model, provider]) => ['litellm.embedding', provider, 'embeddings', model]),
      ]);
      const exported = exporter
        .getFinishedSpans()
        .map((s) => ({ name: s.name, attributes: s.attributes, events: s.events, status: s.status }));
      assert.ok(!JSON.stringify(exported).includes(CANARY));
    });

    it('one span for a completion that goes through, none for the openai call inside it', async () => {
      useGuard({ mode: 'warn' });
      mockChat();
      await litellm.completion(gptParams);
      assert.deepEqual(spanAttributes(), [['litellm.completion', 'openai', 'chat', 'gpt-4o-mini']]);
    });
  });
});

describe('litellm in an ES module app (node --import …/register)', () => {
  it('patches the functions behind `import { completion } from "litellm"` and blocks the unattested call', () => {
    const output = runRegisteredApp(path.join(FIXTURES, 'litellm', 'app.mjs'), [], {
      logFile: path.join(path.dirname(LOG_FILE), 'litellm-esm.jsonl'),
    });
    assert.deepEqual(JSON.parse(output), {
      attested: 'hello',
      unattested: 'MimaAttestationError:litellm.completion',
      requests: 1,
      patchPoints: ['dist/src/completion.js#completion', 'dist/src/embedding.js#embedding'],
    });
  });
});

describe("litellm's own old SDK copies", () => {
  it('are no MimaGuardWarning: litellm bundles @anthropic-ai/sdk 0.6 and cohere-ai 6, checked at its own patch', async () => {
    // Before, every litellm app printed "@anthropic-ai/sdk 0.6.8 is outside the versions the
    // guard supports; its calls are not checked" (and, once the warning was said per SDK, the same
    // for cohere-ai 6.2.2): false, since only litellm uses those copies and litellm.completion is
    // patched, covering their requests. An SDK copy of the app's own out of range still warns.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-litellm-nested-'));
    try {
      const app = path.join(dir, 'app.js');
      fs.writeFileSync(
        app,
        `const { getGuardStatus } = require(${JSON.stringify(path.join(ROOT, 'build', 'src', 'index.js'))});
         require(${JSON.stringify(require.resolve('litellm'))});
         setImmediate(() => console.log(JSON.stringify(getGuardStatus().sdks)));`,
      );
      const register = path.join(ROOT, 'build', 'src', 'register.js');
      const run = await runChild(['--require', register, app], { HOME: dir });
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(guardWarnings(run.stderr, 'MIMA_GUARD_SDK_UNSUPPORTED'), []);
      const sdks = JSON.parse(run.stdout) as Array<{ module: string; patches: Array<{ problem?: string }> }>;
      const anthropic = sdks.find((s) => s.module === '@anthropic-ai/sdk');
      assert.match(
        anthropic?.patches[0]?.problem ?? '',
        /^@anthropic-ai\/sdk 0\.\d+\.\d+, a copy inside litellm, is outside .*litellm's own patch checks/,
      );
      assert.ok(sdks.find((s) => s.module === 'litellm')?.patches.some((p) => !p.problem));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
