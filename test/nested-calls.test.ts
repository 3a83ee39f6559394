import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, metrics } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { attest, MimaAttestationError, MimaGovernance, withAttested } from '../src';
import { aiWorkspace, loadAI, type AIModule } from './helpers/ai';
import { clearRecords, readRecords, useGuard } from './helpers/guard';
import { toolCallingReply, type OpenAIModule } from './helpers/openai';

/**
 * One user call through a higher layer (ai, a Stainless client run covered) yields one record:
 * its own transport (the provider's request, a logging fetch, a custom model) is not reported
 * again. A call that user code makes inside it (a tool's execute, a custom fetch) is independent:
 * it is reported, and blocked in block mode, with the network backstop on or off.
 */
describe('nested calls: the transport of a call, and the independent calls made inside it', () => {
  let server: http.Server;
  let base: string;
  const paths: string[] = [];
  let ai: AIModule;
  let createOpenAI: (typeof import('@ai-sdk/openai'))['createOpenAI'];
  let openai: OpenAIModule;

  /** Asks for one call of the tool `lookup` when tools are offered and none has answered yet. */
  function reply(pathname: string, body: string): unknown {
    if (pathname.endsWith('/embeddings')) {
      return {
        object: 'list',
        model: 'emb',
        data: [{ object: 'embedding', index: 0, embedding: [0.5] }],
        usage: { prompt_tokens: 1, total_tokens: 1 },
      };
    }
    return toolCallingReply(JSON.parse(body) as { tools?: unknown[]; messages: { role: string }[] });
  }

  before(async () => {
    server = http.createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => (body += chunk));
      request.on('end', () => {
        const pathname = new URL(request.url ?? '/', 'http://x').pathname;
        paths.push(pathname);
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify(reply(pathname, body)));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    ({ ai } = loadAI(6));
    const providerEntry = require.resolve('@ai-sdk/openai', { paths: [aiWorkspace(6)] });
    ({ createOpenAI } = require(providerEntry) as typeof import('@ai-sdk/openai'));
    openai = require('openai') as OpenAIModule;
    // The guard's own store exists, as in an app that attests.
    withAttested(() => undefined);
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    useGuard();
  });

  /**
   * The undici package's fetch, for every request here: nock (loaded by the SDK helpers) replaces
   * the global one with an interceptor that calls Node's own after an await, off the caller's
   * stack, where the rule under test could not be seen.
   */
  const undiciFetch = (require('undici') as typeof import('undici')).fetch as unknown as typeof fetch;
  const standIn = () => new URL(base).host;
  const client = (options: { fetch?: typeof fetch } = {}) =>
    new openai.OpenAI({ baseURL: base, apiKey: 'k', maxRetries: 0, fetch: undiciFetch, ...options });
  const chat = (c: InstanceType<OpenAIModule['OpenAI']>) =>
    c.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
  const embed = (c: InstanceType<OpenAIModule['OpenAI']>) =>
    c.embeddings.create({ model: 'emb', input: 'x' });

  /** generateText whose tool `lookup` runs `execute` (the model asks for it once). */
  function generateWithTool(execute: () => Promise<string>) {
    const provider = createOpenAI({ baseURL: base, apiKey: 'k', fetch: undiciFetch });
    return ai.generateText({
      model: provider.chat('m'),
      prompt: 'hi',
      tools: {
        lookup: ai.tool({ description: 'looks up', inputSchema: ai.jsonSchema({ type: 'object' }), execute }),
      },
      stopWhen: ai.stepCountIs(3),
    });
  }

  async function callSites(): Promise<string[]> {
    return (await readRecords()).map((record) => record.call_site).sort();
  }

  for (const backstop of [true, false]) {
    describe(`network backstop ${backstop ? 'on' : 'off'}`, () => {
      beforeEach(async () => {
        useGuard({ mode: 'report', networkBackstop: backstop, networkHosts: [standIn()] });
        await clearRecords();
        paths.length = 0;
      });

      it("ai.generateText's provider requests are its transport: one record", async () => {
        const result = await generateWithTool(() => Promise.resolve('found'));
        assert.equal(result.text, 'hello');
        assert.deepEqual(paths, ['/v1/chat/completions', '/v1/chat/completions']);
        assert.deepEqual(await callSites(), ['ai.generateText']);
      });

      it("an openai call in a tool's execute (a sub-agent) is reported, at the tool's line", async () => {
        const subAgent = client();
        await generateWithTool(async () => {
          const answer = await chat(subAgent);
          return String(answer.choices[0].message.content);
        });
        assert.equal(paths.length, 3, paths.join());
        assert.deepEqual(await callSites(), ['ai.generateText', 'openai.OpenAI.chat']);
        const inner = (await readRecords()).find((r) => r.call_site === 'openai.OpenAI.chat');
        assert.match(inner?.code_file ?? '', /nested-calls\.test\.js$/);
      });

      it("an openai call in a tool's execute after an await is reported too", async () => {
        const subAgent = client();
        await generateWithTool(async () => {
          await new Promise((resolve) => setImmediate(resolve));
          await chat(subAgent);
          return 'done';
        });
        assert.deepEqual(await callSites(), ['ai.generateText', 'openai.OpenAI.chat']);
      });

      it("a custom fetch's own pass-through request is its call's transport: one record", async () => {
        const logging = client({ fetch: (url, init) => undiciFetch(url, init) });
        await chat(logging);
        assert.deepEqual(await callSites(), ['openai.OpenAI.chat']);
      });

      it('an openai call that a custom fetch makes is reported', async () => {
        const other = client();
        const enriching = client({
          fetch: async (url, init) => {
            await embed(other);
            return undiciFetch(url, init);
          },
        });
        await chat(enriching);
        assert.deepEqual(paths, ['/v1/embeddings', '/v1/chat/completions']);
        assert.deepEqual(await callSites(), ['openai.OpenAI.chat', 'openai.OpenAI.embeddings']);
      });

      it("a custom model's openai call is the ai call's transport: one record", async () => {
        const inner = client();
        const model = {
          specificationVersion: 'v3' as const,
          provider: 'custom.chat',
          modelId: 'm',
          supportedUrls: {},
          async doGenerate() {
            const answer = await chat(inner);
            return {
              content: [{ type: 'text' as const, text: String(answer.choices[0].message.content) }],
              finishReason: { unified: 'stop' as const, raw: 'stop' },
              usage: {
                inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
                outputTokens: { total: 1, text: 1, reasoning: 0 },
              },
              warnings: [],
            };
          },
          doStream: () => Promise.reject(new Error('not used')),
        };
        await ai.generateText({ model, prompt: 'hi' });
        assert.deepEqual(await callSites(), ['ai.generateText']);
      });
    });
  }

  describe('network backstop on', () => {
    beforeEach(async () => {
      useGuard({ mode: 'report', networkHosts: [standIn()] });
      await clearRecords();
      paths.length = 0;
    });

    it("a raw fetch in a tool's execute is reported as net.<host>", async () => {
      await generateWithTool(async () => {
        const response = await undiciFetch(`${base}/chat/completions`, {
          method: 'POST',
          body: '{"messages":[]}',
        });
        return response.text();
      });
      assert.deepEqual(await callSites(), ['ai.generateText', 'net.127.0.0.1']);
    });

    it("a wrapped client's custom fetch: its call is attested, the unattested call it makes is reported", async () => {
      const other = client();
      const wrapped = new MimaGovernance({ systemName: 'nested' }).wrap(
        client({
          fetch: async (url, init) => {
            await embed(other);
            return undiciFetch(url, init);
          },
        }),
      );
      await chat(wrapped);
      assert.deepEqual(await callSites(), ['openai.OpenAI.embeddings']);
    });
  });

  /**
   * The same rules with a replacement of the global fetch making the requests (undici's, as nock's
   * would call the real one off the caller's stack): the request check reads it like any other
   * frame, only Node's own fetch lets it skip what is above (test/network-backstop-node-fetch.test.ts).
   */
  describe('network backstop on, requests by a replaced global fetch', () => {
    let nockFetch: typeof fetch;
    beforeEach(async () => {
      nockFetch = globalThis.fetch;
      globalThis.fetch = undiciFetch;
      useGuard({ mode: 'report', networkHosts: [standIn()] });
      await clearRecords();
    });
    afterEach(() => {
      globalThis.fetch = nockFetch;
    });

    it("a raw fetch in a tool's execute is reported as net.<host>; the provider's requests are not", async () => {
      await generateWithTool(async () => {
        const response = await fetch(`${base}/chat/completions`, { method: 'POST', body: '{"messages":[]}' });
        return response.text();
      });
      assert.deepEqual(await callSites(), ['ai.generateText', 'net.127.0.0.1']);
    });

    it("an openai call's requests, and a logging fetch's pass-through, are the call's transport", async () => {
      await chat(client({ fetch: undefined }));
      await chat(client({ fetch: (url, init) => fetch(url, init) }));
      assert.deepEqual(await callSites(), ['openai.OpenAI.chat', 'openai.OpenAI.chat']);
    });
  });

  describe('the mima.guard.calls metric', () => {
    let reader: PeriodicExportingMetricReader;
    let provider: MeterProvider;

    before(() => context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable()));
    beforeEach(async () => {
      await clearRecords();
      reader = new PeriodicExportingMetricReader({
        exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
        exportIntervalMillis: 60_000,
      });
      provider = new MeterProvider({ readers: [reader] });
      useGuard({ mode: 'report', networkHosts: [standIn()] }).setMeterProvider(provider);
    });
    afterEach(async () => {
      useGuard().setMeterProvider(metrics.getMeterProvider());
      await provider.shutdown();
    });
    after(() => context.disable());

    async function attestedCounts(): Promise<Record<string, number>> {
      const { resourceMetrics } = await reader.collect();
      const counts: Record<string, number> = {};
      for (const metric of resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics)) {
        if (metric.descriptor.name !== 'mima.guard.calls') continue;
        for (const point of metric.dataPoints) {
          counts[
            `${String(point.attributes['mima.call_site'])} attested=${String(point.attributes['mima.attested'])}`
          ] = point.value as number;
        }
      }
      return counts;
    }

    it("counts an attested ai call once, and the sub-agent call in its tool's execute as a call of its own", async () => {
      const subAgent = client();
      await attest(() =>
        generateWithTool(async () => {
          await chat(subAgent);
          return 'done';
        }),
      )();
      assert.deepEqual(await attestedCounts(), {
        'ai.generateText attested=true': 1,
        'openai.OpenAI.chat attested=true': 1,
      });
      assert.deepEqual(await readRecords(), []);
    });
  });

  describe('block mode', () => {
    beforeEach(async () => {
      await clearRecords();
      paths.length = 0;
    });

    for (const backstop of [true, false]) {
      it(`blocks the unattested call a wrapped client's custom fetch makes (backstop ${backstop ? 'on' : 'off'})`, async () => {
        useGuard({ mode: 'block', networkBackstop: backstop, networkHosts: [standIn()] });
        const other = client();
        let thrown: unknown;
        const wrapped = new MimaGovernance({ systemName: 'nested' }).wrap(
          client({
            fetch: async (url, init) => {
              try {
                await embed(other);
              } catch (error) {
                thrown = error;
              }
              return undiciFetch(url, init);
            },
          }),
        );
        await chat(wrapped);
        assert.ok(thrown instanceof MimaAttestationError, String(thrown));
        assert.deepEqual(paths, ['/v1/chat/completions'], 'the embeddings request never left');
        const records = await readRecords();
        assert.deepEqual(
          records.map((r) => [r.call_site, r.blocked]),
          [['openai.OpenAI.embeddings', true]],
        );
      });
    }
  });
});
