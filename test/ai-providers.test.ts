import * as assert from 'node:assert/strict';
import { MimaAttestationError, MimaGovernance } from '../src';
import { AI_7_RUNS_HERE, aiWorkspace, type AIModule } from './helpers/ai';
import { startProviderServer, type ProviderServer } from './helpers/ai-provider-server';
import { callSites, PROMPT, requireFrom, type Factory, type Providers } from './helpers/ai-providers';
import { captureWarnings, useGuard } from './helpers/guard';
import { CANARY } from './helpers/openai';
import { isolateSdkTests } from './helpers/sdk-suite';
import { recordSpans } from './helpers/spans';

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
