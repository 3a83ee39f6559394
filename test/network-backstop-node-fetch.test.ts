import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { aiWorkspace } from './helpers/ai';
import { runCjsApp } from './helpers/cjs-app';
import { readLogRecords } from './helpers/log-lines';
import { childEnv } from './helpers/node-child';

/**
 * Inside an unattested ai.generateText, the network backstop tells the call's own requests (its
 * provider's) from a request the app makes inside it (a tool's execute), which is reported. With
 * Node's own fetch as the global one, the check reads the stack from fetch's caller down; in-process
 * tests cannot see that path, since nock replaces the global fetch. A replacement of the global
 * fetch is read as code of its own: an app's wrapper that awaits (a token) before calling Node's
 * fetch is the user frame on the request's stack, and hid the tool's request when it was skipped.
 */
const APP = (ai: string, provider: string) => `
const http = require('node:http');
const ai = require(${JSON.stringify(ai)});
const { createOpenAI } = require(${JSON.stringify(provider)});
const completion = (message, finish) => ({ id: 'c', object: 'chat.completion', created: 1, model: 'm',
  choices: [{ index: 0, message, finish_reason: finish }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } });
function reply(body) {
  const request = JSON.parse(body);
  if (!request.messages) return {};
  if (request.messages.some((m) => m.role === 'tool')) return completion({ role: 'assistant', content: 'done' }, 'stop');
  return completion({ role: 'assistant', content: null,
    tool_calls: [{ id: 't', type: 'function', function: { name: 'lookup', arguments: '{}' } }] }, 'tool_calls');
}
const server = http.createServer((q, s) => {
  let body = '';
  q.on('data', (c) => (body += c)).on('end', () => s.end(JSON.stringify(reply(body))));
}).listen(0, '127.0.0.1', async () => {
  const base = 'http://127.0.0.1:' + server.address().port + '/v1';
  const provider = createOpenAI({ baseURL: base, apiKey: 'k' });
  const generate = (execute) => ai.generateText({ model: provider.chat('m'), prompt: 'hi', stopWhen: ai.stepCountIs(3),
    tools: { lookup: ai.tool({ inputSchema: ai.jsonSchema({ type: 'object' }), execute }) } });
  const nodeFetch = globalThis.fetch;
  await generate(async () => (await fetch(base + '/lookup', { method: 'POST', body: '{}' })).text()); // through Node's fetch
  await generate(async () => 'no request of its own');
  globalThis.fetch = async (input, init) => {
    const token = await Promise.resolve('token');
    return nodeFetch(input, { ...init, headers: { ...init?.headers, authorization: 'Bearer ' + token } }); // the wrapper's request: its frame is the caller
  };
  await generate(async () => (await fetch(base + '/lookup', { method: 'POST', body: '{}' })).text());
  server.close();
});
`;

describe("network backstop: requests by Node's own fetch inside an unattested call (child process)", function () {
  it("reports a tool's request, through Node's fetch or an app's async wrapper of it, and never the provider's", function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-node-fetch-'));
    try {
      const workspace = aiWorkspace(6);
      const source = APP(
        require.resolve('ai', { paths: [workspace] }),
        require.resolve('@ai-sdk/openai', { paths: [workspace] }),
      );
      const logFile = path.join(dir, 'records.jsonl');
      const env = childEnv(
        { MIMA_GUARD_MODE: 'report', MIMA_GUARD_LOG_FILE: logFile, MIMA_GUARD_NETWORK_HOSTS: '127.0.0.1' },
        { keepCoverage: true },
      );
      runCjsApp(dir, source, env, { quiet: true });
      // app.cjs is the source less its leading newline: line numbers count from its first line.
      const lineOf = (marker: string) =>
        source
          .slice(1)
          .split('\n')
          .findIndex((l) => l.includes(marker)) + 1;
      const records = readLogRecords(logFile).map((r) =>
        r.call_site === 'ai.generateText' ? r.call_site : `${r.call_site} ${r.code_file}:${r.code_line}`,
      );
      assert.deepEqual(records, [
        'ai.generateText',
        `net.127.0.0.1 app.cjs:${lineOf("// through Node's fetch")}`,
        'ai.generateText',
        'ai.generateText',
        `net.127.0.0.1 app.cjs:${lineOf("// the wrapper's request")}`,
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
