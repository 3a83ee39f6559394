/**
 * A tiny OpenAI-compatible endpoint on 127.0.0.1 for the demo: no API key, no network.
 * It answers POST /v1/chat/completions (plain JSON, or SSE when the body asks for a stream)
 * and counts every request it receives, so the demo can prove a blocked call never arrived.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Header the demo app sets on each call so the server can count attested and unattested calls apart. */
export const CALL_LABEL_HEADER = 'x-demo-call';

const MODEL = 'gpt-4o-mini';
const ANSWER = 'Hello from the mock OpenAI server.';

export interface MockOpenAIServer {
  /** For the OpenAI client's baseURL, e.g. http://127.0.0.1:PORT/v1. */
  readonly baseURL: string;
  /** Requests received since the last reset, by call label (the x-demo-call header). */
  counts(): Record<string, number>;
  /** Every request received since the last reset, whatever its path or label. */
  total(): number;
  reset(): void;
  close(): Promise<void>;
}

export async function startMockOpenAI(): Promise<MockOpenAIServer> {
  let counts: Record<string, number> = {};
  const server = http.createServer((req, res) => {
    const label = String(req.headers[CALL_LABEL_HEADER] ?? 'unlabelled');
    counts[label] = (counts[label] ?? 0) + 1;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => respond(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  // Port 0: the OS picks a free port, so parallel runs never collide.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    counts: () => ({ ...counts }),
    total: () => Object.values(counts).reduce((sum, n) => sum + n, 0),
    reset: () => {
      counts = {};
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function respond(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
  if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
    return sendJson(res, 404, apiError(`No route for ${req.method} ${req.url} on the mock server`));
  }
  let request: { stream?: unknown };
  try {
    request = JSON.parse(body) as { stream?: unknown };
  } catch {
    return sendJson(res, 400, apiError('The request body is not valid JSON'));
  }
  // The prompt is read by nobody here: the answer never depends on (or echoes) it.
  if (request.stream === true) return sendStream(res);
  sendJson(res, 200, {
    id: 'chatcmpl-demo',
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: MODEL,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: ANSWER, refusal: null },
        finish_reason: 'stop',
        logprobs: null,
      },
    ],
    usage: { prompt_tokens: 9, completion_tokens: 7, total_tokens: 16 },
  });
}

function sendStream(res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const chunk = (delta: object, finishReason: string | null) => ({
    id: 'chatcmpl-demo',
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model: MODEL,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  });
  const words = ANSWER.split(/(?<= )/);
  const events = [
    chunk({ role: 'assistant', content: '' }, null),
    ...words.map((word) => chunk({ content: word }, null)),
    chunk({}, 'stop'),
  ];
  for (const event of events) res.write(`data: ${JSON.stringify(event)}\n\n`);
  res.end('data: [DONE]\n\n');
}

function apiError(message: string) {
  return { error: { message, type: 'invalid_request_error', param: null, code: null } };
}

function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
