import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OpenAI } from 'openai';

/** A tiny valid chat.completion body, so the SDK parses a real reply. */
const BODY = Buffer.from(
  JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: 1,
    model: 'gpt-bench',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: 'pong', refusal: null },
        finish_reason: 'stop',
        logprobs: null,
      },
    ],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  }),
);

export interface LoopbackServer {
  port: number;
  requests(): number;
  close(): Promise<void>;
}

/**
 * Answers every request with BODY, on 127.0.0.1 only. It runs in the parent process, so the
 * server side of a call is the same for every scenario process whatever that process enabled.
 */
export function startLoopbackServer(): Promise<LoopbackServer> {
  let requests = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests++;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': BODY.length });
      res.end(BODY);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        requests: () => requests,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

export function makeClient(OpenAIClass: typeof OpenAI, port: number): OpenAI {
  return new OpenAIClass({
    apiKey: 'bench-key',
    baseURL: `http://127.0.0.1:${port}/v1`,
    maxRetries: 0,
    timeout: 10_000,
  });
}

/** The call every openai scenario times. */
export async function chat(client: OpenAI): Promise<string | null> {
  const reply = await client.chat.completions.create({
    model: 'gpt-bench',
    messages: [{ role: 'user', content: 'ping' }],
  });
  return reply.choices[0].message.content;
}

/** Microseconds one call takes. */
export async function timeCall(call: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await call();
  return Number(process.hrtime.bigint() - start) / 1e3;
}
