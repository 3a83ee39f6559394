import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { withAttested } from '../src';
import { aiWorkspace, loadAI, type AIModule } from './helpers/ai';
import { clearRecords, readRecords, useGuard } from './helpers/guard';
import { toolCallingReply } from './helpers/openai';

/**
 * The app replaces globalThis.fetch with its own wrapper that awaits something (a token, a rate
 * limiter) before calling Node's fetch. A tool's execute that calls fetch inside an unattested
 * generateText makes an independent request: it must be reported as net.<host>, as it was when
 * the request check read the whole stack. Reading the stack from the global fetch's caller down
 * (Error.captureStackTrace(holder, globalThis.fetch)) starts at the wrapper's caller, which after
 * the wrapper's await is an async frame, and an async frame decides "transport".
 */
describe('covered transport: an async wrapper assigned to globalThis.fetch', () => {
  let server: http.Server;
  let base: string;
  let ai: AIModule;
  let createOpenAI: (typeof import('@ai-sdk/openai'))['createOpenAI'];
  /**
   * The fetch under the app's wrapper: undici's, whose requests the backstop sees on the caller's
   * stack. The global one here may be nock's (loaded by earlier test files), which calls the real
   * fetch after an await, where no rule about the stack can be seen.
   */
  const realFetch = (require('undici') as typeof import('undici')).fetch as unknown as typeof fetch;
  const globalFetch = globalThis.fetch;

  function reply(body: string): unknown {
    const request = JSON.parse(body) as { tools?: unknown[]; messages?: { role: string }[] };
    if (request.messages === undefined) return { ok: true }; // the tool's own request
    return toolCallingReply({ tools: request.tools, messages: request.messages });
  }

  before(async () => {
    server = http.createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => (body += chunk));
      request.on('end', () => {
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify(reply(body)));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    ({ ai } = loadAI(6));
    const providerEntry = require.resolve('@ai-sdk/openai', { paths: [aiWorkspace(6)] });
    ({ createOpenAI } = require(providerEntry) as typeof import('@ai-sdk/openai'));
    withAttested(() => undefined);
  });

  after(async () => {
    globalThis.fetch = globalFetch;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    useGuard();
  });

  beforeEach(async () => {
    useGuard({ mode: 'report', networkHosts: [new URL(base).host] });
    await clearRecords();
  });
  afterEach(() => {
    globalThis.fetch = globalFetch;
  });

  function generateWithTool(execute: () => Promise<string>) {
    const provider = createOpenAI({ baseURL: base, apiKey: 'k', fetch: realFetch });
    return ai.generateText({
      model: provider.chat('m'),
      prompt: 'hi',
      tools: {
        lookup: ai.tool({ description: 'looks up', inputSchema: ai.jsonSchema({ type: 'object' }), execute }),
      },
      stopWhen: ai.stepCountIs(3),
    });
  }

  const toolRequest = async () => {
    const response = await fetch(`${base}/lookup`, { method: 'POST', body: '{}' });
    return response.text();
  };

  async function callSites(): Promise<string[]> {
    return (await readRecords()).map((record) => record.call_site).sort();
  }

  it("control: a synchronous wrapper; the tool's request is reported", async () => {
    globalThis.fetch = (input, init) => realFetch(input, init);
    await generateWithTool(toolRequest);
    assert.deepEqual(await callSites(), ['ai.generateText', 'net.127.0.0.1']);
  });

  it("a wrapper that awaits before calling the real fetch: the tool's request is still reported", async () => {
    const token = async () => 'token';
    globalThis.fetch = async (input, init) => {
      const headers = new Headers(init?.headers);
      headers.set('authorization', `Bearer ${await token()}`);
      return realFetch(input, { ...init, headers });
    };
    await generateWithTool(toolRequest);
    assert.deepEqual(await callSites(), ['ai.generateText', 'net.127.0.0.1']);
  });
});
