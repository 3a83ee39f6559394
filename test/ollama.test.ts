import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { attest, getGuardStatus, MimaAttestationError, MimaGovernance } from '../src';
import { DEFAULT_NETWORK_HOSTS, HostMatcher } from '../src/app/network/hosts';
import { FIXTURES, runRegisteredApp } from './helpers/esm-app';
import { LOG_FILE, readRecords, useGuard } from './helpers/guard';
import { CANARY, chatCompletion, loadOpenAI } from './helpers/openai';
import { isolateSdkTests } from './helpers/sdk-suite';
import { recordSpans } from './helpers/spans';
import { loadOllama, MODEL, WORKSPACE, type OllamaClient, type OllamaModule } from './helpers/ollama';

/** Ollama's replies, by endpoint; /api/chat with `"stream":true` answers NDJSON. */
function reply(url: string, body: string): { type: string; text: string } {
  const json = (value: object) => ({ type: 'application/json', text: JSON.stringify(value) });
  switch (url) {
    case '/api/chat':
      if (body.includes('"stream":true')) {
        const chunk = (content: string, done: boolean) =>
          JSON.stringify({ model: MODEL, message: { role: 'assistant', content }, done });
        return { type: 'application/x-ndjson', text: `${chunk('hel', false)}\n${chunk('lo', true)}\n` };
      }
      return json({ model: MODEL, message: { role: 'assistant', content: 'hello' }, done: true });
    case '/api/generate':
      return json({ model: MODEL, response: 'hello', done: true });
    case '/api/embed':
      return json({ model: MODEL, embeddings: [[0.5]] });
    case '/api/embeddings':
      return json({ embedding: [0.5] });
    case '/api/tags':
      return json({ models: [] });
    default:
      return json({});
  }
}

/** A local stand-in Ollama server on `port` (0: any free port) counting the requests per path. */
async function startOllamaServer(port = 0) {
  const requests: string[] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      requests.push(request.url ?? '');
      const { type, text } = reply(request.url ?? '', body);
      response.writeHead(200, { 'content-type': type });
      response.end(text);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    requests,
    host: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const chatRequest = (stream = false) => ({
  model: MODEL,
  messages: [{ role: 'user', content: CANARY }],
  stream,
});

/** Every model method of the client, as the user calls them. */
const modelCalls = (client: OllamaClient): Array<[string, () => Promise<unknown>]> => [
  ['ollama.Ollama.chat', () => client.chat(chatRequest())],
  ['ollama.Ollama.chat', () => client.chat(chatRequest(true))],
  ['ollama.Ollama.generate', () => client.generate({ model: MODEL, prompt: CANARY })],
  ['ollama.Ollama.embed', () => client.embed({ model: MODEL, input: CANARY })],
  ['ollama.Ollama.embeddings', () => client.embeddings({ model: MODEL, prompt: CANARY })],
];

describe('ollama 0.6 (CommonJS)', () => {
  let ollama: OllamaModule;
  let server: Awaited<ReturnType<typeof startOllamaServer>>;
  let client: OllamaClient;

  before(async () => {
    ollama = loadOllama();
    server = await startOllamaServer();
    client = new ollama.Ollama({ host: server.host });
    // As an app that attests before its first wrap() call: a wrap() call with no attest() before
    // it mutes the network backstop for the process, and the 127.0.0.1:11434 tests below need it.
    await attest(async () => undefined)();
  });
  after(() => server.close());
  beforeEach(() => (server.requests.length = 0));

  isolateSdkTests();

  it('patches Ollama.prototype in dist/browser.cjs, which the entry class and default instance inherit', () => {
    const status = getGuardStatus().sdks.find((s) => s.module === 'ollama');
    assert.deepEqual(
      status?.patches.map((p) => [p.patchPoint, p.active]),
      [['dist/browser.cjs#Ollama.chat|generate|embeddings|embed|systemone', true]],
    );
  });

  it('block mode rejects every model method (streaming too) before any request leaves', async () => {
    useGuard({ mode: 'block' });
    const calls = modelCalls(client);
    for (const [callSite, call] of calls) {
      let promise: Promise<unknown> | undefined;
      assert.doesNotThrow(() => (promise = call()), 'never a synchronous throw');
      await assert.rejects(promise!, (error: unknown) => {
        assert.ok(error instanceof MimaAttestationError);
        assert.equal(error.callSite, callSite);
        assert.ok(!error.message.includes(CANARY));
        return true;
      });
    }
    assert.deepEqual(server.requests, [], 'no request reached the server');
    const records = await readRecords();
    assert.deepEqual(
      records.map((r) => [r.call_site, r.blocked, r.code_file]),
      calls.map(([callSite]) => [callSite, true, 'build/test/ollama.test.js']),
    );
    assert.ok(!fs.readFileSync(LOG_FILE, 'utf8').includes(CANARY));
  });

  it('blocks the default instance (`import ollama from "ollama"`) before it reaches localhost:11434', async () => {
    useGuard({ mode: 'block' });
    await assert.rejects(ollama.default.chat(chatRequest()), (error: MimaAttestationError) => {
      return error instanceof MimaAttestationError && error.callSite === 'ollama.Ollama.chat';
    });
  });

  it('leaves model management (list) alone: it runs no model', async () => {
    useGuard({ mode: 'block' });
    assert.deepEqual(await client.list(), { models: [] });
    assert.deepEqual(await readRecords(), []);
  });

  it('treats a client passed to MimaGovernance.wrap as attested, and no other', async () => {
    useGuard({ mode: 'block' });
    const wrapped = new MimaGovernance({ systemName: 'test' }).wrap(new ollama.Ollama({ host: server.host }));
    assert.equal((await wrapped.chat(chatRequest())).message.content, 'hello');
    await assert.rejects(client.chat(chatRequest()), MimaAttestationError);
    assert.deepEqual(server.requests, ['/api/chat']);
  });

  describe('mima.ai_call span', () => {
    const { exporter } = recordSpans({ mode: 'block' });

    it('carries provider ollama, the operation and the request model, never the content', async () => {
      const expected: Array<[string, string]> = [
        ['ollama.Ollama.chat', 'chat'],
        ['ollama.Ollama.chat', 'chat'],
        ['ollama.Ollama.generate', 'text_completion'],
        ['ollama.Ollama.embed', 'embeddings'],
        ['ollama.Ollama.embeddings', 'embeddings'],
      ];
      for (const [, call] of modelCalls(client)) await assert.rejects(call(), MimaAttestationError);
      const spans = exporter.getFinishedSpans();
      assert.ok(!JSON.stringify(spans.map((s) => s.attributes)).includes(CANARY));
      assert.deepEqual(
        spans.map((s) => [
          s.attributes['mima.call_site'],
          s.attributes['gen_ai.provider.name'],
          s.attributes['gen_ai.operation.name'],
          s.attributes['gen_ai.request.model'],
        ]),
        expected.map(([callSite, operation]) => [callSite, 'ollama', operation, MODEL]),
      );
    });
  });
});

describe('ollama 0.6 (ES module app)', () => {
  it('patches `import ollama, { Ollama } from "ollama"` (dist/browser.mjs) and blocks before any request', () => {
    const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-ollama-'));
    try {
      const output = runRegisteredApp(path.join(FIXTURES, 'ollama', 'app.mjs'), [WORKSPACE], {
        logFile: path.join(logDir, 'guard_log.jsonl'),
        quiet: true,
      });
      assert.deepEqual(JSON.parse(output), {
        attested: 'hello',
        unattested: 'MimaAttestationError:ollama.Ollama.chat',
        stream: 'MimaAttestationError:ollama.Ollama.chat',
        defaultInstance: 'MimaAttestationError:ollama.Ollama.generate',
        patchPoints: ['dist/browser.mjs#Ollama.chat|generate|embeddings|embed|systemone'],
        requests: ['/api/chat'],
      });
    } finally {
      fs.rmSync(logDir, { recursive: true, force: true });
    }
  });
});

describe('local model servers', () => {
  isolateSdkTests();

  it('an OpenAI-compatible client pointed at localhost is a model call like any other', async () => {
    const openai = loadOpenAI(6);
    const server = http.createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(chatCompletion()));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      useGuard({ mode: 'report' });
      const port = (server.address() as net.AddressInfo).port;
      const local = new openai.OpenAI({
        baseURL: `http://localhost:${port}/v1`,
        apiKey: 'ollama',
        maxRetries: 0,
      });
      await local.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: CANARY }] });
      assert.deepEqual(
        (await readRecords()).map((r) => r.call_site),
        ['openai.OpenAI.chat'],
      );
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("the network backstop lists Ollama's default port only, not the generic local ports", () => {
    const defaults = new HostMatcher(DEFAULT_NETWORK_HOSTS.map(([entry]) => entry));
    for (const authority of ['127.0.0.1:11434', 'localhost:11434', 'LOCALHOST:11434', '[::1]:11434']) {
      assert.equal(defaults.match(authority)?.provider, 'ollama', authority);
    }
    // llama.cpp / LocalAI, vLLM, text-generation-webui, LM Studio, and any other local server.
    for (const authority of [
      'localhost:8080',
      '127.0.0.1:8000',
      'localhost:5000',
      '127.0.0.1:1234',
      'localhost',
    ]) {
      assert.equal(defaults.match(authority), undefined, authority);
    }
  });

  describe('with a server on 127.0.0.1:11434', () => {
    let server: Awaited<ReturnType<typeof startOllamaServer>> | undefined;
    let ollama: OllamaModule;

    before(async function () {
      ollama = loadOllama();
      try {
        server = await startOllamaServer(11434);
      } catch (error) {
        // A real Ollama (or another test) holds the port: these checks cannot run here.
        if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') this.skip();
        throw error;
      }
    });
    after(() => server?.close());
    beforeEach(() => server && (server.requests.length = 0));

    it('reports a raw fetch to it as net.127.0.0.1, and an attested one not at all', async () => {
      useGuard({ mode: 'report' });
      const rawChat = () =>
        fetch('http://127.0.0.1:11434/api/chat', { method: 'POST', body: JSON.stringify(chatRequest()) });
      await attest(rawChat)();
      await rawChat();
      const records = await readRecords();
      assert.deepEqual(
        records.map((r) => [r.call_site, r.code_file]),
        [['net.127.0.0.1', 'build/test/ollama.test.js']],
      );
    });

    it('reports an unattested ollama call to its default host once, as the SDK call, not again as net.*', async () => {
      useGuard({ mode: 'warn' });
      assert.equal((await ollama.default.chat(chatRequest())).message.content, 'hello');
      assert.deepEqual(
        (await readRecords()).map((r) => r.call_site),
        ['ollama.Ollama.chat'],
      );
      assert.deepEqual(server?.requests, ['/api/chat']);
    });
  });
});
