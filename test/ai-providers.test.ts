import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { LanguageModelV3, LanguageModelV3CallOptions } from '@ai-sdk/provider';
import { attest, getGuardStatus, MimaAttestationError, MimaGovernance } from '../src';
import { isGuardWrapper } from '../src/patch';
import type { DetectionRecord, Mode } from '../src/types';
import { AI_7_RUNS_HERE, aiWorkspace, type AIModule } from './helpers/ai';
import { startProviderServer, type ProviderServer } from './helpers/ai-provider-server';
import { captureWarnings, readRecords, useGuard } from './helpers/guard';
import { FIXTURES, runRegisteredApp } from './helpers/esm-app';
import { CANARY } from './helpers/openai';
import { isolateSdkTests } from './helpers/sdk-suite';
import { recordSpans } from './helpers/spans';

/** The LanguageModel interface's call options: one user message, the canary as its text. */
const PROMPT: LanguageModelV3CallOptions = {
  prompt: [{ role: 'user', content: [{ type: 'text', text: CANARY }] }],
};

type Model = Pick<LanguageModelV3, 'doGenerate' | 'doStream' | 'provider' | 'modelId'>;
type Factory = (modelId: string) => Model;
interface Providers {
  openaiChat: Factory;
  openaiEmbedding: (modelId: string) => { doEmbed(options: { values: string[] }): PromiseLike<unknown> };
  anthropic: Factory;
  google: Factory;
}

function requireFrom(workspace: string, name: string): Record<string, (options: object) => unknown> {
  return require(require.resolve(name, { paths: [workspace] })) as Record<
    string,
    (options: object) => unknown
  >;
}

/** The providers of ai <major>'s workspace, loaded with the guard's hooks in place, pointed at the server. */
function loadProviders(major: 6 | 7, baseURL: string): Providers {
  useGuard();
  const workspace = aiWorkspace(major);
  const openai = requireFrom(workspace, '@ai-sdk/openai').createOpenAI({
    baseURL: `${baseURL}/v1`,
    apiKey: 'test-key',
  }) as { chat: Factory; embedding: Providers['openaiEmbedding'] };
  const anthropic = requireFrom(workspace, '@ai-sdk/anthropic').createAnthropic({
    baseURL: `${baseURL}/v1`,
    apiKey: 'test-key',
  }) as Factory;
  const google = requireFrom(workspace, '@ai-sdk/google').createGoogleGenerativeAI({
    baseURL: `${baseURL}/v1beta`,
    apiKey: 'test-key',
  }) as Factory;
  return {
    openaiChat: (id) => openai.chat(id),
    openaiEmbedding: (id) => openai.embedding(id),
    anthropic,
    google,
  };
}

function isBlockedAt(callSite: string) {
  return (error: unknown) => {
    assert.ok(error instanceof MimaAttestationError, `a MimaAttestationError, not ${String(error)}`);
    assert.equal(error.callSite, callSite);
    assert.match(error.message, /ai-providers\.test\.js:\d+/, 'names the user file:line');
    assert.ok(!error.message.includes(CANARY));
    return true;
  };
}

async function callSites(): Promise<string[]> {
  return (await readRecords()).map((record) => record.call_site);
}

async function readAll(stream: ReadableStream<{ type: string; delta?: string }>): Promise<string[]> {
  const parts: string[] = [];
  const reader = stream.getReader();
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    if (next.value.type === 'text-delta') parts.push(String(next.value.delta));
  }
  return parts;
}

for (const major of [6, 7] as const) {
  const runsHere = major === 6 || AI_7_RUNS_HERE;
  const providerMajor = major === 6 ? 3 : 4;
  const skipped = runsHere ? '' : ' (skipped: the providers of ai 7 need Node 22+)';

  (runsHere ? describe : describe.skip)(
    `AI SDK providers used directly (@ai-sdk/* ${providerMajor}.x, with ai ${major})${skipped}`,
    () => {
      let server: ProviderServer;
      let providers: Providers;
      let ai: AIModule;

      before(async () => {
        server = await startProviderServer();
        providers = loadProviders(major, server.baseURL);
        ai = require(require.resolve('ai', { paths: [aiWorkspace(major)] })) as AIModule;
        Object.assign(globalThis, { AI_SDK_LOG_WARNINGS: false });
      });
      beforeEach(() => server.reset());
      after(async () => {
        delete (globalThis as { AI_SDK_LOG_WARNINGS?: unknown }).AI_SDK_LOG_WARNINGS;
        await server.close();
      });
      isolateSdkTests();

      it('patches the model classes of each provider, found through its default instance', () => {
        for (const model of [providers.openaiChat('m'), providers.anthropic('m'), providers.google('m')]) {
          const proto = Object.getPrototypeOf(model) as Record<string, unknown>;
          assert.ok(isGuardWrapper(proto.doGenerate), `${model.provider}.doGenerate is patched`);
          assert.ok(isGuardWrapper(proto.doStream), `${model.provider}.doStream is patched`);
        }
        const patches = getGuardStatus()
          .sdks.filter((sdk) =>
            ['@ai-sdk/openai', '@ai-sdk/anthropic', '@ai-sdk/google'].includes(sdk.module),
          )
          .flatMap((sdk) => sdk.patches);
        assert.ok(
          patches.length >= 3 && patches.every((p) => p.active && !p.problem),
          JSON.stringify(patches),
        );
      });

      it('lets an attested doGenerate through untouched and records nothing', async () => {
        useGuard({ mode: 'block' });
        const result = await attest(() => providers.openaiChat('gpt-test').doGenerate(PROMPT))();
        assert.deepEqual(result.content, [{ type: 'text', text: 'hello' }]);
        assert.equal(server.requests.get('/v1/chat/completions'), 1);
        assert.deepEqual(await callSites(), []);
      });

      it('block mode rejects doGenerate and doStream of each provider before any request leaves', async () => {
        useGuard({ mode: 'block' });
        const cases: Array<[Model, string]> = [
          [providers.openaiChat('gpt-test'), 'ai-sdk.openai'],
          [providers.anthropic('claude-test'), 'ai-sdk.anthropic'],
          [providers.google('gemini-test'), 'ai-sdk.google'],
        ];
        for (const [model, prefix] of cases) {
          await assert.rejects(async () => model.doGenerate(PROMPT), isBlockedAt(`${prefix}.doGenerate`));
          await assert.rejects(async () => model.doStream(PROMPT), isBlockedAt(`${prefix}.doStream`));
        }
        assert.equal(server.total(), 0, 'no request reached the server');
        const records = await readRecords();
        assert.equal(records.length, 6);
        assert.ok(records.every((r) => r.blocked && /ai-providers\.test\.js$/.test(String(r.code_file))));
      });

      it('warn mode warns, lets doGenerate, doStream and doEmbed through and reports each call once', async () => {
        useGuard({ mode: 'warn' });
        const capture = captureWarnings();
        try {
          const model = providers.openaiChat('gpt-test');
          const generated = await model.doGenerate(PROMPT);
          assert.deepEqual(generated.content, [{ type: 'text', text: 'hello' }]);
          const { stream } = await model.doStream(PROMPT);
          assert.deepEqual(await readAll(stream as ReadableStream<{ type: string }>), ['streamed']);
          await providers.openaiEmbedding('emb').doEmbed({ values: [CANARY] });
          await capture.settle();
          assert.deepEqual(
            capture.warnings.map((w) => w.message.split(' ')[3]),
            ['ai-sdk.openai.doGenerate', 'ai-sdk.openai.doStream', 'ai-sdk.openai.doEmbed'],
          );
          assert.ok(capture.warnings.every((w) => !w.message.includes(CANARY)));
        } finally {
          capture.stop();
        }
        assert.equal(server.requests.get('/v1/chat/completions'), 2);
        assert.equal(server.requests.get('/v1/embeddings'), 1);
        assert.deepEqual(await callSites(), [
          'ai-sdk.openai.doGenerate',
          'ai-sdk.openai.doStream',
          'ai-sdk.openai.doEmbed',
        ]);
      });

      it('a client given to MimaGovernance.wrap() is attested: a wrapped model goes through', async () => {
        useGuard({ mode: 'block' });
        const model = new MimaGovernance({ systemName: 'ai-providers-test' }).wrap(
          providers.anthropic('claude-test'),
        );
        await model.doGenerate(PROMPT);
        assert.equal(server.requests.get('/v1/messages'), 1);
        assert.deepEqual(await callSites(), []);
      });

      it('one ai.generateText over a provider model is one record, ai.generateText', async () => {
        useGuard({ mode: 'report' });
        const result = await ai.generateText({
          model: providers.openaiChat('gpt-test') as never,
          prompt: CANARY,
        });
        assert.equal(result.text, 'hello');
        const { textStream } = ai.streamText({
          model: providers.openaiChat('gpt-test') as never,
          prompt: CANARY,
        });
        for await (const _ of textStream) void _;
        assert.deepEqual(await callSites(), ['ai.generateText', 'ai.streamText']);
      });

      it('a tool inside ai.generateText that calls a model itself is a record of its own', async () => {
        useGuard({ mode: 'report' });
        const inner = providers.anthropic('claude-test');
        const lookup = {
          description: 'looks up',
          inputSchema: ai.jsonSchema({ type: 'object', properties: {} }),
          execute: async () => {
            const reply = await inner.doGenerate(PROMPT);
            return reply.content.length;
          },
        };
        const result = await ai.generateText({
          model: providers.openaiChat('gpt-test') as never,
          prompt: CANARY,
          tools: { lookup },
          stopWhen: ai.stepCountIs(2),
        });
        assert.equal(result.text, 'hello');
        assert.equal(server.requests.get('/v1/messages'), 1, 'the tool’s call went through');
        assert.deepEqual(await callSites(), ['ai.generateText', 'ai-sdk.anthropic.doGenerate']);
      });

      describe('spans', () => {
        const { exporter } = recordSpans();

        it('carry call site, provider, operation and request model, never content', async () => {
          useGuard({ mode: 'block' });
          const calls = [
            providers.openaiChat('gpt-test').doGenerate(PROMPT),
            providers.anthropic('claude-test').doStream(PROMPT),
            providers.google('gemini-test').doGenerate(PROMPT),
            providers.openaiEmbedding('emb').doEmbed({ values: [CANARY] }),
          ];
          for (const call of calls) await assert.rejects(async () => call, MimaAttestationError);
          const spans = exporter
            .getFinishedSpans()
            .filter((span) => span.name === 'mima.ai_call')
            .map((span) => span.attributes);
          assert.deepEqual(
            spans.map((a) => [
              a['mima.call_site'],
              a['gen_ai.provider.name'],
              a['gen_ai.operation.name'],
              a['gen_ai.request.model'],
            ]),
            [
              ['ai-sdk.openai.doGenerate', 'openai', 'chat', 'gpt-test'],
              ['ai-sdk.anthropic.doStream', 'anthropic', 'chat', 'claude-test'],
              ['ai-sdk.google.doGenerate', 'gcp.gemini', 'chat', 'gemini-test'],
              ['ai-sdk.openai.doEmbed', 'openai', 'embeddings', 'emb'],
            ],
          );
          assert.ok(!JSON.stringify(spans).includes(CANARY));
        });
      });
    },
  );
}

/** @ai-sdk/amazon-bedrock 5 (ES module only): signs with aws4fetch over fetch, not the AWS SDK. */
(AI_7_RUNS_HERE ? describe : describe.skip)(
  `@ai-sdk/amazon-bedrock 5.x${AI_7_RUNS_HERE ? '' : ' (skipped: needs Node 22+)'}`,
  () => {
    let server: ProviderServer;
    let bedrock: Factory;

    before(async () => {
      server = await startProviderServer();
      useGuard();
      bedrock = requireFrom(aiWorkspace(7), '@ai-sdk/amazon-bedrock').createAmazonBedrock({
        baseURL: server.baseURL,
        region: 'us-east-1',
        accessKeyId: 'AKIDEXAMPLE',
        secretAccessKey: 'test-secret',
      }) as Factory;
    });
    beforeEach(() => server.reset());
    after(() => server.close());
    isolateSdkTests();

    it('attested: the SigV4-signed converse request goes out untouched', async () => {
      useGuard({ mode: 'block' });
      const result = await attest(() => bedrock('anthropic.claude-test').doGenerate(PROMPT))();
      assert.deepEqual(result.content, [{ type: 'text', text: 'hello' }]);
      assert.equal(server.requests.get('/model/anthropic.claude-test/converse'), 1);
      assert.deepEqual(server.authSchemes, ['AWS4-HMAC-SHA256'], 'signed by aws4fetch');
      assert.deepEqual(await callSites(), []);
    });

    it('block mode rejects doGenerate and doStream before anything is signed or sent', async () => {
      useGuard({ mode: 'block' });
      const model = bedrock('anthropic.claude-test');
      await assert.rejects(
        async () => model.doGenerate(PROMPT),
        isBlockedAt('ai-sdk.amazon-bedrock.doGenerate'),
      );
      await assert.rejects(async () => model.doStream(PROMPT), isBlockedAt('ai-sdk.amazon-bedrock.doStream'));
      assert.equal(server.total(), 0);
      assert.deepEqual(await callSites(), [
        'ai-sdk.amazon-bedrock.doGenerate',
        'ai-sdk.amazon-bedrock.doStream',
      ]);
    });

    it('@ai-sdk/amazon-bedrock/anthropic (Anthropic’s API on Bedrock): blocked before any request', async () => {
      useGuard({ mode: 'block' });
      const { createBedrockAnthropic } = requireFrom(aiWorkspace(7), '@ai-sdk/amazon-bedrock/anthropic');
      const model = (createBedrockAnthropic({ baseURL: server.baseURL, region: 'us-east-1' }) as Factory)(
        'anthropic.claude-test',
      );
      await assert.rejects(
        async () => model.doGenerate(PROMPT),
        isBlockedAt('ai-sdk.amazon-bedrock.doGenerate'),
      );
      assert.equal(server.total(), 0);
    });

    describe('spans', () => {
      const { exporter } = recordSpans();

      it('name the provider aws.bedrock and the model id', async () => {
        useGuard({ mode: 'report' });
        await bedrock('anthropic.claude-test').doGenerate(PROMPT);
        const [span] = exporter.getFinishedSpans().filter((s) => s.name === 'mima.ai_call');
        assert.deepEqual(
          [span.attributes['gen_ai.provider.name'], span.attributes['gen_ai.request.model']],
          ['aws.bedrock', 'anthropic.claude-test'],
        );
        assert.equal(server.total(), 1);
      });
    });
  },
);

/** Runs test/fixtures/ai/providers-app.mjs under `node --import …/register`; see that file. */
function runProvidersApp(major: 6 | 7, mode: Mode) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-ai-providers-'));
  try {
    const logFile = path.join(dir, 'guard_log.jsonl');
    const output = runRegisteredApp(path.join(FIXTURES, 'ai', 'providers-app.mjs'), [], {
      mode,
      logFile,
      imports: major === 7 ? [path.join(FIXTURES, 'ai', 'use-ai-7.mjs')] : [],
      quiet: true,
    });
    const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
    assert.ok(!output.includes(CANARY) && !log.includes(CANARY), 'no content in output or records');
    const records = log
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as DetectionRecord);
    return { result: JSON.parse(output) as Record<string, unknown>, records };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const DIRECT_CALLS = [
  'ai-sdk.openai.doGenerate',
  'ai-sdk.openai.doStream',
  'ai-sdk.anthropic.doGenerate',
  'ai-sdk.google.doGenerate',
  'ai.generateText',
];

for (const major of [6, 7] as const) {
  const runsHere = major === 6 || AI_7_RUNS_HERE;
  (runsHere ? describe : describe.skip)(
    `AI SDK providers (ai ${major}) imported in an ES module app (node --import …/register)`,
    () => {
      it('block mode: every direct model call and the ai call are blocked, one record each, nothing sent', () => {
        const { result, records } = runProvidersApp(major, 'block');
        assert.deepEqual(result, {
          attested: 'sent',
          openai: 'MimaAttestationError:ai-sdk.openai.doGenerate',
          openaiStream: 'MimaAttestationError:ai-sdk.openai.doStream',
          anthropic: 'MimaAttestationError:ai-sdk.anthropic.doGenerate',
          google: 'MimaAttestationError:ai-sdk.google.doGenerate',
          generateText: 'MimaAttestationError:ai.generateText',
          requests: 1,
        });
        assert.deepEqual(
          records.map((r) => [r.call_site, r.blocked, path.basename(String(r.code_file))]),
          DIRECT_CALLS.map((site) => [site, true, 'providers-app.mjs']),
        );
      });

      it('report mode: the calls go through, one record each', () => {
        const { result, records } = runProvidersApp(major, 'report');
        assert.equal(result.requests, 6);
        assert.deepEqual(
          records.map((r) => r.call_site),
          DIRECT_CALLS,
        );
      });
    },
  );
}
