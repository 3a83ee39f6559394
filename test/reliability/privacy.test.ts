import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import fc from 'fast-check';
import nock from 'nock';
import { trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { MimaAttestationError } from '../../src';
import { startDaemon, type DaemonHandle } from '../../src/command/daemon/server';
import { activeGuard } from '../../src/app/guard';
import { SDK_DEFINITIONS } from '../../src/app/sdks';
import type { Mode } from '../../src/app/types';
import { AI_BASE_URL, loadAI } from '../helpers/ai';
import { ANTHROPIC_URL, loadAnthropic, makeAnthropic, messageReply } from '../helpers/anthropic';
import { clientConfig, loadBedrock, startMockBedrock, type MockBedrock } from '../helpers/bedrock';
import { chatV2Reply, COHERE_ORIGIN, loadCohere, makeCohere } from '../helpers/cohere';
import {
  GEMINI_ORIGIN,
  generateContentReply,
  GOOGLE_GENAI_RUNS_HERE,
  loadGoogleGenAI,
  makeGenAI,
} from '../helpers/google-genai';
import { GROQ_URL, loadGroq, makeGroq } from '../helpers/groq';
import { SOCKET_PATH, useGuard } from '../helpers/guard';
import { loadLitellm } from '../helpers/litellm';
import { chatReply as mistralReply, loadMistral, makeMistral, MISTRAL_ORIGIN } from '../helpers/mistral';
import { BASE_URL, chatCompletion, loadOpenAI, makeClient } from '../helpers/openai';
import { sdkTableRows } from '../helpers/sdk-table';
import {
  load as loadGenerativeAI,
  ORIGIN as GEMINI_LEGACY_ORIGIN,
  type GenerativeAIModule,
} from '../helpers/google-generative-ai';
import { loadOllama } from '../helpers/ollama';
import {
  aiSdkPrivacyCases,
  canaryHeaders,
  CONTENT_MARK,
  MODEL_MARK,
  type Canaries,
  type PrivacyCase,
} from '../helpers/privacy-cases-ai-sdk';
import { fakeAuth, loadVertexAI, makeVertexAI, ORIGIN as VERTEX_ORIGIN } from '../helpers/vertexai';
import { captureAllDiag, daemonConnected, tempDir, until } from './helpers';

const NUM_RUNS = 20;
const OLLAMA_ORIGIN = 'http://ollama.test';

describe('reliability: no request content reaches any output of the guard (fast-check, every SDK)', function () {
  this.timeout(120_000);

  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const otlpBodies: string[] = [];
  let otlpServer: http.Server;
  let daemon: DaemonHandle | undefined;
  let bedrock: MockBedrock | undefined;
  let aiSdk: Awaited<ReturnType<typeof aiSdkPrivacyCases>> | undefined;
  let logFile: string;
  let daemonLog: string;
  let socketPath: string;
  const cases: PrivacyCase[] = [];

  before(async () => {
    const dir = tempDir('mima-priv-');
    logFile = path.join(dir, 'guard_log.jsonl');
    daemonLog = path.join(dir, 'daemon_log.jsonl');
    socketPath = path.join(dir, 'd.sock');
    otlpServer = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        otlpBodies.push(Buffer.concat(chunks).toString('utf8'));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => otlpServer.listen(0, '127.0.0.1', resolve));
    const otlpEndpoint = `http://127.0.0.1:${(otlpServer.address() as AddressInfo).port}`;
    daemon = await startDaemon({ socketPath, logFile: daemonLog, otlpEndpoint });

    // Every SDK's endpoint answers anything with a valid reply: what the app gets back is not examined.
    const answer = (origin: string, body: () => nock.ReplyBody) =>
      nock(origin).persist().post(/.*/).reply(200, body, { 'content-type': 'application/json' });
    answer(new URL(BASE_URL).origin, () => chatCompletion());
    answer(new URL(AI_BASE_URL).origin, () => chatCompletion());
    answer(ANTHROPIC_URL, () => messageReply());
    answer(GROQ_URL, () => chatCompletion());
    answer(MISTRAL_ORIGIN, () => mistralReply());
    answer(COHERE_ORIGIN, () => chatV2Reply());
    answer(GEMINI_ORIGIN, () => generateContentReply());
    answer(OLLAMA_ORIGIN, () => ({ model: 'm', message: { role: 'assistant', content: 'hi' }, done: true }));
    answer(GEMINI_LEGACY_ORIGIN, () => generateContentReply());
    answer(VERTEX_ORIGIN, () => generateContentReply());
    bedrock = await startMockBedrock();

    const headers = (c: Canaries) => ({ headers: canaryHeaders(c) });
    const openai = makeClient(loadOpenAI(6));
    cases.push({
      module: 'openai',
      runsHere: true,
      call: (c) =>
        openai.chat.completions.create(
          {
            model: c.model,
            messages: [
              { role: 'system', content: c.text },
              { role: 'user', content: c.text },
              {
                role: 'assistant',
                content: null,
                tool_calls: [
                  {
                    id: 't1',
                    type: 'function',
                    function: { name: 'f', arguments: JSON.stringify({ q: c.text }) },
                  },
                ],
              },
              { role: 'tool', tool_call_id: 't1', content: c.text },
            ],
            tools: [
              {
                type: 'function',
                function: { name: 'f', description: c.text, parameters: { type: 'object' } },
              },
            ],
            metadata: { note: c.text },
            user: c.text,
          },
          { ...headers(c), query: { q: c.text } },
        ),
    });
    const anthropic = makeAnthropic(loadAnthropic('1'));
    cases.push({
      module: '@anthropic-ai/sdk',
      runsHere: true,
      call: (c) =>
        (anthropic.messages.create as unknown as (body: object, options: object) => Promise<unknown>)(
          {
            model: c.model,
            max_tokens: 16,
            system: c.text,
            messages: [{ role: 'user', content: c.text }],
            tools: [{ name: 'f', description: c.text, input_schema: { type: 'object' } }],
            metadata: { user_id: c.text },
          },
          headers(c),
        ),
    });
    const groq = makeGroq(loadGroq());
    cases.push({
      module: 'groq-sdk',
      runsHere: true,
      call: (c) =>
        (groq.chat.completions.create as unknown as (body: object, options: object) => Promise<unknown>)(
          {
            model: c.model,
            messages: [
              { role: 'system', content: c.text },
              { role: 'user', content: c.text },
            ],
          },
          headers(c),
        ),
    });
    const litellm = loadLitellm();
    cases.push({
      module: 'litellm',
      runsHere: true,
      call: (c) =>
        litellm.completion({
          // gpt- routes to litellm's openai handler, which takes baseUrl.
          model: `gpt-${c.model}`,
          messages: [
            { role: 'system', content: c.text },
            { role: 'user', content: c.text },
          ],
          baseUrl: BASE_URL,
          apiKey: 'test-key',
        } as Parameters<typeof litellm.completion>[0]),
    });
    const { ai, openai: aiOpenAI } = loadAI(6);
    cases.push({
      module: 'ai',
      runsHere: true,
      call: (c) =>
        ai.generateText({ model: aiOpenAI.chat(c.model), system: c.text, prompt: c.text, ...headers(c) }),
    });
    const mistral = makeMistral(loadMistral());
    cases.push({
      module: '@mistralai/mistralai',
      runsHere: true,
      call: (c) =>
        mistral.chat.complete({
          model: c.model,
          messages: [
            { role: 'system', content: c.text },
            { role: 'user', content: c.text },
          ],
        }),
    });
    const { v2: cohere } = makeCohere(loadCohere());
    cases.push({
      module: 'cohere-ai',
      runsHere: true,
      call: (c) =>
        cohere.chat({
          model: c.model,
          messages: [
            { role: 'system', content: c.text },
            { role: 'user', content: c.text },
          ],
        }),
    });
    const bedrockModule = loadBedrock();
    const bedrockClient = new bedrockModule.BedrockRuntimeClient(clientConfig(bedrock.endpoint));
    cases.push({
      module: '@aws-sdk/client-bedrock-runtime',
      runsHere: true,
      call: (c) =>
        bedrockClient.send(
          new bedrockModule.ConverseCommand({
            modelId: c.model,
            system: [{ text: c.text }],
            messages: [{ role: 'user', content: [{ text: c.text }] }],
          }),
        ),
    });
    const ollama = new (loadOllama().Ollama)({ host: OLLAMA_ORIGIN });
    cases.push({
      module: 'ollama',
      runsHere: true,
      call: (c) =>
        ollama.chat({
          model: c.model,
          messages: [
            { role: 'system', content: c.text },
            { role: 'user', content: c.text },
          ],
        }),
    });
    const generativeAI = new (loadGenerativeAI<GenerativeAIModule>(
      '@google/generative-ai',
    ).GoogleGenerativeAI)('k');
    cases.push({
      module: '@google/generative-ai',
      runsHere: true,
      call: (c) =>
        generativeAI
          .getGenerativeModel(
            { model: c.model, systemInstruction: c.text },
            { baseUrl: GEMINI_LEGACY_ORIGIN, customHeaders: headers(c).headers },
          )
          .generateContent(c.text),
    });
    const warn = console.warn; // the Vertex SDK's deprecation notice, once per client
    console.warn = () => undefined;
    const vertex = makeVertexAI(loadVertexAI(), fakeAuth());
    console.warn = warn;
    cases.push({
      module: '@google-cloud/vertexai',
      runsHere: true,
      call: (c) =>
        vertex
          .getGenerativeModel({ model: c.model, systemInstruction: c.text })
          .generateContent({ contents: [{ role: 'user', parts: [{ text: c.text }] }] }),
    });
    if (GOOGLE_GENAI_RUNS_HERE) {
      const genai = makeGenAI(loadGoogleGenAI());
      cases.push({
        module: '@google/genai',
        runsHere: true,
        call: (c) =>
          genai.models.generateContent({
            model: c.model,
            contents: c.text,
            config: { systemInstruction: c.text },
          }),
      });
    } else {
      cases.push({ module: '@google/genai', runsHere: false });
    }
    // The Claude agent SDK, against a fake Claude Code that exits at once (no real one, no network).
    const versions = path.join(__dirname, '..', '..', '..', 'test', 'versions');
    const claudeCode = path.join(tempDir('mima-priv-claude-'), 'fake-claude.js');
    fs.writeFileSync(claudeCode, `#!${process.execPath}\nprocess.exit(3);\n`, { mode: 0o700 });
    const claude = require(
      require.resolve('@anthropic-ai/claude-agent-sdk', {
        paths: [path.join(versions, 'claude-agent-sdk-0')],
      }),
    ) as { query(params: object): AsyncIterable<unknown> };
    cases.push({
      module: '@anthropic-ai/claude-agent-sdk',
      runsHere: true,
      call: async (c) => {
        const session = claude.query({
          prompt: c.text,
          options: { pathToClaudeCodeExecutable: claudeCode, model: c.model, systemPrompt: c.text },
        });
        // The fake's exit ends the session with the SDK's own error, which is not the guard's output.
        await (async () => {
          for await (const message of session) void message;
        })().catch(() => undefined);
      },
    });
    const inferenceClients = path.join(versions, 'inference-clients');
    const hfOrigin = 'http://huggingface.test';
    answer(hfOrigin, () => chatCompletion());
    const { InferenceClient } = require(
      require.resolve('@huggingface/inference', { paths: [inferenceClients] }),
    ) as {
      InferenceClient: new (
        token: string,
        options: object,
      ) => { chatCompletion(args: object): Promise<unknown> };
    };
    const hf = new InferenceClient('hf_test', { endpointUrl: hfOrigin });
    cases.push({
      module: '@huggingface/inference',
      runsHere: true,
      call: (c) =>
        hf.chatCompletion({
          model: c.model,
          messages: [
            { role: 'system', content: c.text },
            { role: 'user', content: c.text },
          ],
        }),
    });
    const replicateOrigin = 'http://replicate.test';
    answer(replicateOrigin, () => ({ id: 'p', status: 'succeeded', output: 'x', urls: {} }));
    const Replicate = require(require.resolve('replicate', { paths: [inferenceClients] })) as new (
      options: object,
    ) => { predictions: { create(options: object): Promise<unknown> } };
    const replicate = new Replicate({ auth: 'r8_test', baseUrl: `${replicateOrigin}/v1` });
    cases.push({
      module: 'replicate',
      runsHere: true,
      call: (c) =>
        replicate.predictions.create({
          model: c.model,
          input: { prompt: c.text },
          webhook_events_filter: [],
        }),
    });
    // The AI SDK providers used directly (model.doGenerate) and Mastra's Agent.
    aiSdk = await aiSdkPrivacyCases();
    cases.push(...aiSdk.cases);
  });

  after(async () => {
    nock.cleanAll();
    useGuard({ mode: 'warn', socketPath: SOCKET_PATH }).setTracerProvider(trace.getTracerProvider());
    await daemon?.close();
    await bedrock?.close();
    await aiSdk?.close();
    await provider.shutdown();
    otlpServer.closeAllConnections();
    await new Promise((resolve) => otlpServer.close(resolve));
  });

  it('has a case for every patched SDK (the README table)', () => {
    const modules = sdkTableRows()
      .slice(1)
      .map((row) => row[0].replace(/`/g, ''));
    assert.deepEqual(
      modules,
      SDK_DEFINITIONS.map((d) => d.module),
    );
    const covered = ['openai', '@anthropic-ai/sdk', 'groq-sdk', 'litellm', 'ai', '@mistralai/mistralai'];
    covered.push('cohere-ai', '@aws-sdk/client-bedrock-runtime', '@google/genai');
    covered.push('ollama', '@google/generative-ai', '@google-cloud/vertexai');
    covered.push('@anthropic-ai/claude-agent-sdk', '@huggingface/inference', 'replicate');
    covered.push('@ai-sdk/openai', '@ai-sdk/anthropic', '@ai-sdk/google', '@ai-sdk/amazon-bedrock');
    covered.push('@mastra/core');
    assert.deepEqual([...modules].sort(), covered.sort(), 'a privacy case per SDK (add one for a new SDK)');
  });

  it('the AI SDK provider and Mastra cases send their request (report mode), so their runs prove something', async () => {
    useGuard({ mode: 'report', logFile, socketPath }).setTracerProvider(provider);
    for (const privacyCase of aiSdk!.cases.filter((c) => c.runsHere)) {
      const before = aiSdk!.requests();
      const canaries = { token: 'sanity0000', text: `${CONTENT_MARK}sanity`, model: `${MODEL_MARK}sanity` };
      await privacyCase.call!(canaries);
      assert.ok(aiSdk!.requests() > before, `${privacyCase.module} reached the provider server`);
    }
  });

  const modules = ['openai', '@anthropic-ai/sdk', 'groq-sdk', 'litellm', 'ai', '@mistralai/mistralai'];
  modules.push('cohere-ai', '@aws-sdk/client-bedrock-runtime', '@google/genai');
  modules.push('ollama', '@google/generative-ai', '@google-cloud/vertexai');
  modules.push('@anthropic-ai/claude-agent-sdk', '@huggingface/inference', 'replicate');
  modules.push('@ai-sdk/openai', '@ai-sdk/anthropic', '@ai-sdk/google', '@ai-sdk/amazon-bedrock');
  modules.push('@mastra/core');
  for (const module of modules) {
    it(`${module}: no canary in a record, span, warning, error message or diag message (${NUM_RUNS} runs)`, async function () {
      const privacyCase = cases.find((c) => c.module === module)!;
      if (!privacyCase.runsHere) this.skip();
      const arbitrary = fc.record({
        token: fc.stringMatching(/^[a-z0-9]{10}$/),
        tail: fc.string({ maxLength: 40, unit: 'grapheme' }),
        mode: fc.constantFrom<Mode>('warn', 'block', 'report'),
        /** A recording span provider takes the record; without one the daemon does. */
        spans: fc.boolean(),
      });
      await fc.assert(
        fc.asyncProperty(arbitrary, async ({ token, tail, mode, spans }) => {
          const canaries: Canaries = {
            token,
            text: `${CONTENT_MARK}${token}${tail}`,
            model: `${MODEL_MARK}${token}`,
          };
          exporter.reset();
          const outputs: string[] = [];
          const warnings: string[] = [];
          const onWarning = (warning: Error) => warnings.push(`${warning.name} ${warning.message}`);
          const before = fs.existsSync(logFile) ? fs.statSync(logFile).size : 0;
          process.on('warning', onWarning);
          const diag = await captureAllDiag(async () => {
            useGuard({ mode, logFile, socketPath, warnOnce: false }).setTracerProvider(
              spans ? provider : trace.getTracerProvider(),
            );
            if (!spans) await until(daemonConnected, 'the guard connected to the daemon');
            try {
              await privacyCase.call!(canaries);
            } catch (error) {
              const guardError =
                error instanceof MimaAttestationError
                  ? error
                  : (error as { cause?: unknown })?.cause instanceof MimaAttestationError
                    ? ((error as { cause: Error }).cause as Error)
                    : undefined;
              if (mode === 'block')
                assert.ok(guardError, `block mode: the guard's error, not ${String(error)}`);
              if (guardError) outputs.push(`${guardError.message} ${String(guardError)} ${guardError.stack}`);
            }
            await activeGuard()!.sinks.flush();
            await new Promise((resolve) => setImmediate(resolve)); // emitWarning delivers on the next tick
          });
          process.removeListener('warning', onWarning);

          const jsonl = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').slice(before) : '';
          const spanList = exporter.getFinishedSpans().filter((s) => s.name === 'mima.ai_call');
          if (spans) assert.equal(spanList.length, 1, 'the span sink took the record');
          const spanText = spanList.map((s) => {
            const attributes = { ...s.attributes };
            // The span carries the requested model name (gen_ai.request.model, and litellm's
            // provider is read from it): that is the one place a model name may appear.
            delete attributes['gen_ai.request.model'];
            return JSON.stringify({
              attributes,
              events: s.events,
              status: s.status,
              name: s.name,
              links: s.links,
            });
          });
          outputs.push(jsonl, ...spanText, ...warnings, ...diag.guard, ...diag.other);
          if (mode !== 'report')
            assert.ok(warnings.length + (mode === 'block' ? 1 : 0) >= 1, 'the call was seen');
          for (const output of outputs) {
            assert.ok(!output.includes(CONTENT_MARK), `content leaked: ${output}`);
            assert.ok(
              !output.includes(MODEL_MARK),
              `the model name leaked outside the span's model attribute: ${output}`,
            );
          }
          const model = spanList[0]?.attributes['gen_ai.request.model'];
          if (model !== undefined)
            assert.ok(String(model).includes(token), 'the span names the requested model');
        }),
        { numRuns: NUM_RUNS },
      );
    });
  }

  it('the daemon log and the OTLP payload it forwarded hold records, and no canary', async () => {
    const handle = daemon!;
    useGuard({ mode: 'warn', socketPath: SOCKET_PATH });
    await activeGuard()!.reporting.daemon.flush();
    await handle.close(); // exports what its BatchSpanProcessor holds
    daemon = undefined;
    const logged = fs.readFileSync(daemonLog, 'utf8');
    assert.ok(logged.split('\n').filter(Boolean).length > 0, 'the daemon logged records');
    await until(() => otlpBodies.length > 0, 'the OTLP payload arrived');
    const payload = otlpBodies.join('\n');
    assert.match(payload, /mima\.ai_call/, 'the payload holds the spans');
    for (const [what, text] of [
      ['daemon log', logged],
      ['OTLP payload', payload],
    ]) {
      assert.ok(!text.includes(CONTENT_MARK), `content in the ${what}`);
      assert.ok(!text.includes(MODEL_MARK), `a model name in the ${what}`);
    }
  });
});
