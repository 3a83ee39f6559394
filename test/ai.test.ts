import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import nock from 'nock';
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { attest, disableGuard, getGuardStatus, MimaAttestationError } from '../src';
import { isGuardWrapper } from '../src/app/patch';
import type { Mode } from '../src/app/types';
import { captureWarnings, LOG_FILE, readRecords, useGuard } from './helpers/guard';
import {
  AI_7_RUNS_HERE,
  AI_BASE_URL,
  aiEntry,
  embeddingReply,
  loadAI,
  type AIModule,
  type AIOpenAIProvider,
} from './helpers/ai';
import { FIXTURES, runRegisteredApp } from './helpers/esm-app';
import { parseLogRecords } from './helpers/log-lines';
import { countingReply } from './helpers/mock-http';
import { CANARY, chatCompletion, chatStreamBody, loadOpenAI, makeClient } from './helpers/openai';
import { isolateSdkTests } from './helpers/sdk-suite';
import { recordSpans } from './helpers/spans';
import { tempDir as makeTempDir } from './helpers/temp-dir';

const HOST = new URL(AI_BASE_URL).origin;
/** A PDF by URL: the SDK downloads it before the model call, as OpenAI chat takes only image URLs. */
const PDF_URL = 'http://files.test/doc.pdf';
const PATCH_POINT = 'ai#generateText|streamText|…|ToolLoopAgent.generate|stream';

/** Interceptors that count the requests that really left, per endpoint. */
function mockEndpoints(times = 1) {
  const chat = countingReply(HOST, '/v1/chat/completions', () => chatCompletion(), { times });
  const embeddings = countingReply(
    HOST,
    '/v1/embeddings',
    (body) => embeddingReply((body as { input: unknown[] }).input.length),
    { times },
  );
  // Getters, so that the tests read (and deepEqual) the counts at the time they look.
  return {
    get chat() {
      return chat.requests;
    },
    get embeddings() {
      return embeddings.requests;
    },
  };
}

function isBlockedAt(callSite: string) {
  return (error: unknown) => {
    assert.ok(error instanceof MimaAttestationError, `a MimaAttestationError, not ${String(error)}`);
    assert.equal(error.callSite, callSite);
    assert.match(error.message, /ai\.test\.js:\d+/, 'names the user file:line');
    assert.ok(!error.message.includes(CANARY));
    return true;
  };
}

async function callSites(): Promise<string[]> {
  return (await readRecords()).map((record) => record.call_site);
}

for (const major of [6, 7] as const) {
  const runsHere = major === 6 || AI_7_RUNS_HERE;
  const format = major === 6 ? 'CommonJS' : 'require() of its ES module';
  const skipped = runsHere ? '' : ' (skipped: ai 7 needs Node 22+)';

  (runsHere ? describe : describe.skip)(`ai ${major}.x (${format})${skipped}`, () => {
    let ai: AIModule;
    let openai: AIOpenAIProvider;

    before(() => {
      ({ ai, openai } = loadAI(major));
      // ai 7 warns about its deprecated streamObject/generateObject, which these tests call on purpose.
      Object.assign(globalThis, { AI_SDK_LOG_WARNINGS: false });
    });

    isolateSdkTests();

    after(() => {
      delete (globalThis as { AI_SDK_LOG_WARNINGS?: unknown }).AI_SDK_LOG_WARNINGS;
    });

    it('block mode rejects generateText with MimaAttestationError before any request leaves', async () => {
      useGuard({ mode: 'block' });
      const seen = mockEndpoints();
      let promise: Promise<unknown> | undefined;
      assert.doesNotThrow(() => {
        promise = ai.generateText({ model: openai.chat('gpt-test'), prompt: CANARY });
      }, 'delivered as a rejection, like the SDK’s own errors');
      await assert.rejects(promise!, isBlockedAt('ai.generateText'));
      assert.equal(seen.chat, 0, 'no request reached the server');
      const [record] = await readRecords();
      assert.equal(record.call_site, 'ai.generateText');
      assert.equal(record.blocked, true);
      assert.match(record.code_file ?? '', /ai\.test\.js$/);
    });

    it('block mode delivers a blocked streamText through its own stream and onError, with no request, download or retry', async () => {
      useGuard({ mode: 'block' });
      const seen = mockEndpoints();
      const downloads: string[] = [];
      const onError: unknown[] = [];
      let result: ReturnType<AIModule['streamText']> | undefined;
      assert.doesNotThrow(() => {
        result = ai.streamText({
          model: openai.chat('gpt-test'),
          messages: [
            {
              role: 'user',
              content: [
                { type: 'text', text: CANARY },
                { type: 'file', data: new URL(PDF_URL), mediaType: 'application/pdf' },
              ],
            },
          ],
          // The SDK's download step, as the app can supply it: told which URLs the model cannot take.
          experimental_download: async (planned) => {
            downloads.push(
              ...planned.filter((file) => !file.isUrlSupportedByModel).map((file) => file.url.href),
            );
            return planned.map(() => null);
          },
          onError: ({ error }) => void onError.push(error),
        });
      }, 'streamText returns its result at once, as it does for its own errors');
      const errors: unknown[] = [];
      for await (const part of result!.fullStream) if (part.type === 'error') errors.push(part.error);
      assert.equal(errors.length, 1, 'one error part in the stream');
      isBlockedAt('ai.streamText')(errors[0]);
      assert.deepEqual(onError, errors, 'onError got the same error, not a RetryError: not retried');
      assert.equal(seen.chat, 0, 'no request reached the server');
      assert.deepEqual(downloads, [], 'the PDF in the prompt is not downloaded');
      assert.deepEqual(await callSites(), ['ai.streamText']);
    });

    it('block mode delivers a blocked streamObject through its object promise', async () => {
      useGuard({ mode: 'block' });
      const seen = mockEndpoints();
      const onError: unknown[] = [];
      const result = ai.streamObject({
        model: openai.chat('gpt-test'),
        output: 'no-schema',
        prompt: CANARY,
        onError: ({ error }) => void onError.push(error),
      });
      const partials: unknown[] = [];
      for await (const partial of result.partialObjectStream) partials.push(partial);
      assert.deepEqual(partials, [], 'the partial stream ends with nothing');
      await assert.rejects(result.object, isBlockedAt('ai.streamObject'));
      assert.equal(onError.length, 1);
      isBlockedAt('ai.streamObject')(onError[0]);
      assert.equal(seen.chat, 0);
    });

    it('block mode rejects generateObject, embed and embedMany before any request leaves', async () => {
      useGuard({ mode: 'block' });
      const seen = mockEndpoints();
      const embedding = openai.embedding('emb');
      await assert.rejects(
        ai.generateObject({ model: openai.chat('gpt-test'), output: 'no-schema', prompt: CANARY }),
        isBlockedAt('ai.generateObject'),
      );
      await assert.rejects(ai.embed({ model: embedding, value: CANARY }), isBlockedAt('ai.embed'));
      await assert.rejects(
        ai.embedMany({ model: embedding, values: [CANARY, CANARY] }),
        isBlockedAt('ai.embedMany'),
      );
      assert.deepEqual(seen, { chat: 0, embeddings: 0 });
      assert.deepEqual(await callSites(), ['ai.generateObject', 'ai.embed', 'ai.embedMany']);
    });

    it('block mode rejects the other model functions this copy exports, each under its own name', async () => {
      useGuard({ mode: 'block' });
      let requests = 0;
      nock(HOST)
        .persist()
        .post(/.*/)
        .reply(200, () => void requests++);
      const reranking = { specificationVersion: 'v3', provider: 'cohere.reranking', modelId: 'rerank' };
      const optionsFor: Record<string, object> = {
        generateImage: { model: openai.image('img'), prompt: CANARY },
        generateSpeech: { model: openai.speech('tts'), text: CANARY },
        transcribe: { model: openai.transcription('whisper'), audio: new Uint8Array([1, 2, 3]) },
        rerank: { model: reranking, documents: [CANARY], query: CANARY },
      };
      const exported = ai as unknown as Record<string, ((options: object) => Promise<unknown>) | undefined>;
      const names = Object.keys(optionsFor).flatMap((name) => [name, `experimental_${name}`]);
      const present = names.filter((name) => typeof exported[name] === 'function');
      for (const name of present) {
        const options = optionsFor[name.replace(/^experimental_/, '')];
        await assert.rejects(exported[name]!(options), isBlockedAt(`ai.${name}`));
      }
      assert.ok(present.includes('generateImage') && present.includes('rerank'));
      assert.equal(requests, 0);
      assert.deepEqual(
        await callSites(),
        present.map((name) => `ai.${name}`),
      );
    });

    it('block mode rejects a ToolLoopAgent’s generate and stream, named ai.ToolLoopAgent.<method>', async () => {
      useGuard({ mode: 'block' });
      const seen = mockEndpoints();
      const agent = new ai.ToolLoopAgent({ model: openai.chat('gpt-test'), instructions: CANARY });
      await assert.rejects(agent.generate({ prompt: CANARY }), isBlockedAt('ai.ToolLoopAgent.generate'));
      await assert.rejects(agent.stream({ prompt: CANARY }), isBlockedAt('ai.ToolLoopAgent.stream'));
      assert.equal(seen.chat, 0);
      assert.deepEqual(await callSites(), ['ai.ToolLoopAgent.generate', 'ai.ToolLoopAgent.stream']);
    });

    it('an attested ToolLoopAgent runs, and its inner generateText is not reported', async () => {
      useGuard({ mode: 'report' });
      const seen = mockEndpoints();
      const agent = new ai.ToolLoopAgent({ model: openai.chat('gpt-test') });
      const result = await attest(() => agent.generate({ prompt: CANARY }))();
      assert.equal(result.text, 'hello');
      assert.equal(seen.chat, 1);
      assert.deepEqual(await readRecords(), []);
    });

    it('warn mode warns once per code location, lets generateText through and reports every call', async () => {
      useGuard({ mode: 'warn' });
      const seen = mockEndpoints(3);
      const capture = captureWarnings();
      try {
        for (let i = 0; i < 3; i++) {
          await ai.generateText({ model: openai.chat('gpt-test'), prompt: CANARY });
        }
        await capture.settle();
      } finally {
        capture.stop();
      }
      assert.equal(seen.chat, 3);
      assert.equal(capture.warnings.length, 1, 'one warning for one (call site, location)');
      assert.match(capture.warnings[0].message, /ai\.generateText at .*ai\.test\.js:\d+/);
      assert.ok(!capture.warnings[0].message.includes(CANARY));
      const records = await readRecords();
      assert.equal(records.length, 3);
      assert.ok(records.every((r) => r.call_site === 'ai.generateText' && !r.blocked && r.mode === 'warn'));
    });

    it('warn mode lets an unattested streamText stream its reply', async () => {
      useGuard({ mode: 'warn' });
      nock(HOST)
        .post('/v1/chat/completions')
        .reply(200, chatStreamBody('streamed'), { 'content-type': 'text/event-stream' });
      const capture = captureWarnings();
      let text = '';
      try {
        const result = ai.streamText({ model: openai.chat('gpt-test'), prompt: CANARY });
        for await (const delta of result.textStream) text += delta;
        await capture.settle();
      } finally {
        capture.stop();
      }
      assert.equal(text, 'streamed');
      assert.equal(capture.warnings.length, 1);
      assert.deepEqual(await callSites(), ['ai.streamText']);
    });

    it('report mode is silent, sends the calls and writes one JSONL record each, without content', async () => {
      useGuard({ mode: 'report' });
      const seen = mockEndpoints();
      const capture = captureWarnings();
      try {
        await ai.generateText({ model: openai.chat('gpt-test'), prompt: CANARY });
        await ai.embed({ model: openai.embedding('emb'), value: CANARY });
        await capture.settle();
      } finally {
        capture.stop();
      }
      assert.deepEqual(seen, { chat: 1, embeddings: 1 });
      assert.equal(capture.warnings.length, 0);
      const records = await readRecords();
      assert.deepEqual(
        records.map((r) => [r.call_site, r.mode, r.blocked]),
        [
          ['ai.generateText', 'report', false],
          ['ai.embed', 'report', false],
        ],
      );
      assert.match(records[0].code_file ?? '', /ai\.test\.js$/);
      assert.ok(!fs.readFileSync(LOG_FILE, 'utf8').includes(CANARY));
    });

    it('one ai.generateText call over @ai-sdk/openai yields exactly one record, ai.generateText', async () => {
      useGuard({ mode: 'report' });
      mockEndpoints();
      await ai.generateText({ model: openai.chat('gpt-test'), prompt: CANARY });
      assert.deepEqual(await callSites(), ['ai.generateText']);
    });

    it('covers the inner calls of a model built on the openai package: one record, named after the ai call', async () => {
      const client = makeClient(loadOpenAI(6));
      useGuard({ mode: 'report' });
      nock('http://openai.test').post('/v1/chat/completions').times(2).reply(200, chatCompletion());
      const overOpenAI: LanguageModelV3 = {
        specificationVersion: 'v3',
        provider: 'custom.chat',
        modelId: 'gpt-test',
        supportedUrls: {},
        async doGenerate() {
          const reply = await client.chat.completions.create({ model: 'gpt-test', messages: [] });
          return {
            content: [{ type: 'text', text: String(reply.choices[0].message.content) }],
            finishReason: { unified: 'stop', raw: 'stop' },
            usage: {
              inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
              outputTokens: { total: 1, text: 1, reasoning: 0 },
            },
            warnings: [],
          };
        },
        doStream: () => Promise.reject(new Error('not used')),
      };
      const result = await ai.generateText({ model: overOpenAI, prompt: CANARY });
      assert.equal(result.text, 'hello');
      await client.chat.completions.create({ model: 'gpt-test', messages: [] });
      assert.deepEqual(
        await callSites(),
        ['ai.generateText', 'openai.OpenAI.chat'],
        'the openai call inside the ai call is covered by it; a later direct openai call is reported',
      );
    });

    it('keeps the SDK’s exports, and disableGuard restores its own functions until the guard is enabled again', async () => {
      const own = require.cache[aiEntry(major)]?.exports as AIModule | undefined;
      if (own) {
        assert.deepEqual(Object.keys(ai), Object.keys(own), 'the same exports, still enumerable');
        assert.equal(ai.ToolLoopAgent, own.ToolLoopAgent);
      }
      assert.ok(isGuardWrapper(ai.generateText) && isGuardWrapper(ai.streamText));
      await disableGuard();
      try {
        assert.equal(isGuardWrapper(ai.generateText), false);
        assert.equal(isGuardWrapper(ai.ToolLoopAgent.prototype.generate), false);
        if (own) assert.equal(ai.generateText, own.generateText);
      } finally {
        useGuard();
      }
      assert.ok(isGuardWrapper(ai.generateText) && isGuardWrapper(ai.ToolLoopAgent.prototype.generate));
      const status = getGuardStatus().sdks.find((s) => s.module === 'ai');
      const entry = status?.patches.find((p) => p.version.startsWith(`${major}.`));
      assert.equal(entry?.patchPoint, PATCH_POINT);
      assert.equal(entry?.active, true);
    });

    describe('spans', () => {
      const { exporter } = recordSpans();

      function spanAttributes() {
        return exporter
          .getFinishedSpans()
          .filter((span) => span.name === 'mima.ai_call')
          .map((span) => span.attributes);
      }

      it('carry the provider, operation and request model of each call, never its content', async () => {
        useGuard({ mode: 'report' });
        mockEndpoints();
        await ai.generateText({ model: openai.chat('gpt-test'), prompt: CANARY });
        await ai.embed({ model: openai.embedding('emb'), value: CANARY });
        const spans = spanAttributes();
        assert.deepEqual(
          spans.map((a) => [
            a['mima.call_site'],
            a['gen_ai.provider.name'],
            a['gen_ai.operation.name'],
            a['gen_ai.request.model'],
          ]),
          [
            ['ai.generateText', 'openai', 'chat', 'gpt-test'],
            ['ai.embed', 'openai', 'embeddings', 'emb'],
          ],
        );
        assert.ok(!JSON.stringify(spans).includes(CANARY));
      });

      it('name the provider by OpenTelemetry’s well-known value for the AI SDK provider id', async () => {
        useGuard({ mode: 'block' });
        const providers = [
          'azure.chat',
          'google.vertex.chat',
          'google.generative-ai',
          'amazon-bedrock',
          'anthropic.messages',
        ];
        for (const provider of providers) {
          const model = { specificationVersion: 'v3', provider, modelId: 'm' } as unknown as LanguageModelV3;
          await assert.rejects(ai.generateText({ model, prompt: CANARY }), MimaAttestationError);
        }
        assert.deepEqual(
          spanAttributes().map((a) => a['gen_ai.provider.name']),
          ['azure.ai.openai', 'gcp.vertex_ai', 'gcp.gemini', 'aws.bedrock', 'anthropic'],
        );
      });

      it('name a model id string’s provider `gateway`, the default global provider', async () => {
        useGuard({ mode: 'block' });
        await assert.rejects(
          ai.generateText({ model: 'openai/gpt-5', prompt: CANARY }),
          MimaAttestationError,
        );
        await assert.rejects(ai.embed({ model: 'openai/text-embedding-3-small', value: CANARY }));
        const spans = spanAttributes();
        assert.deepEqual(
          spans.map((a) => [
            a['gen_ai.provider.name'],
            a['gen_ai.operation.name'],
            a['gen_ai.request.model'],
          ]),
          [
            ['gateway', 'chat', 'openai/gpt-5'],
            ['gateway', 'embeddings', 'openai/text-embedding-3-small'],
          ],
        );
      });
    });
  });
}

/** Runs test/fixtures/ai/app.mjs in a child under `node --import …/register`; see that file. */
function runApp(major: 6 | 7, mode: Mode, ...flags: string[]) {
  const logFile = path.join(makeTempDir('mima-ai-'), 'guard_log.jsonl');
  const output = runRegisteredApp(path.join(FIXTURES, 'ai', 'app.mjs'), flags, {
    mode,
    logFile,
    imports: major === 7 ? [path.join(FIXTURES, 'ai', 'use-ai-7.mjs')] : [],
    // The app's warnings are on its stderr; it reports them in its output as well.
    quiet: true,
  });
  assert.ok(!output.includes(CANARY), 'no content in what the app saw of the guard');
  const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
  assert.ok(!log.includes(CANARY), 'no content in the records');
  const records = parseLogRecords(log);
  return { ...(JSON.parse(output) as AppResult), records };
}

interface AppCalls {
  attested: string;
  generateText: string;
  streamText: { parts?: string[]; onError?: string[]; threw?: string };
  embed: string;
}

interface AppResult {
  esm: AppCalls;
  cjs?: AppCalls;
  requests: { chat: number; embeddings: number; other: number };
  warnings: string[];
  patchPoints: string[];
}

const BLOCKED: AppCalls = {
  attested: 'hello',
  generateText: 'MimaAttestationError:ai.generateText',
  streamText: {
    parts: ['error:MimaAttestationError:ai.streamText'],
    onError: ['MimaAttestationError:ai.streamText'],
  },
  embed: 'MimaAttestationError:ai.embed',
};

const SENT: AppCalls = {
  attested: 'hello',
  generateText: 'sent',
  streamText: { parts: ['text:streamed'], onError: [] },
  embed: 'sent',
};

const UNATTESTED = ['ai.generateText', 'ai.streamText', 'ai.embed'];

for (const major of [6, 7] as const) {
  const runsHere = major === 6 || AI_7_RUNS_HERE;
  const skipped = runsHere ? '' : ' (skipped: ai 7 needs Node 22+)';
  const copies = major === 6 ? 'its ES module and CommonJS copies' : 'its ES module, the only copy';
  const flags = major === 6 ? ['--also-require'] : [];
  const bothCopies = (calls: AppCalls) => (major === 6 ? { esm: calls, cjs: calls } : { esm: calls });
  const perCopy = major === 6 ? 2 : 1;

  (runsHere ? describe : describe.skip)(
    `ai ${major}.x in an ES module app (node --import …/register)${skipped}`,
    () => {
      it(`block mode: \`import { generateText } from 'ai'\` is patched (${copies}); blocked calls fail the SDK’s way and send nothing`, () => {
        const result = runApp(major, 'block', ...flags);
        const { esm, cjs } = result;
        assert.deepEqual({ esm, cjs }, { cjs: undefined, ...bothCopies(BLOCKED) });
        assert.deepEqual(
          result.requests,
          { chat: perCopy, embeddings: 0, other: 0 },
          'only the attested calls',
        );
        assert.deepEqual(result.patchPoints, [`${major}:${PATCH_POINT}`]);
        assert.deepEqual(
          result.records.map((r) => [r.call_site, r.blocked, r.code_file]),
          Array(perCopy)
            .fill(UNATTESTED)
            .flat()
            .map((site) => [site, true, 'test/fixtures/ai/app.mjs']),
        );
      });

      it('warn mode: the calls go through, each call site warns once per location, every call is reported', () => {
        const result = runApp(major, 'warn', ...flags);
        const { esm, cjs } = result;
        assert.deepEqual({ esm, cjs }, { cjs: undefined, ...bothCopies(SENT) });
        assert.deepEqual(result.requests, { chat: 3 * perCopy, embeddings: perCopy, other: 0 });
        assert.deepEqual(
          result.warnings.map(
            (w) => w.match(/^Unattested AI call (\S+) at test\/fixtures\/ai\/app\.mjs:\d+/)?.[1],
          ),
          UNATTESTED,
        );
        assert.equal(result.records.length, 3 * perCopy);
        assert.ok(result.records.every((r) => r.mode === 'warn' && !r.blocked));
      });

      it('report mode: the calls go through silently, one JSONL record each', () => {
        const result = runApp(major, 'report', ...flags);
        const { esm, cjs } = result;
        assert.deepEqual({ esm, cjs }, { cjs: undefined, ...bothCopies(SENT) });
        assert.deepEqual(result.warnings, []);
        assert.deepEqual(
          result.records.map((r) => [r.call_site, r.mode]),
          Array(perCopy)
            .fill(UNATTESTED)
            .flat()
            .map((site) => [site, 'report']),
        );
      });
    },
  );
}
