import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chatCompletion, chatStreamBody } from './openai';

/**
 * One local HTTP server that answers as the OpenAI, Anthropic, Google and Bedrock APIs do, for
 * the AI SDK providers pointed at it as their base URL, and counts every request that arrived
 * by path (a blocked call must leave none).
 */
export interface ProviderServer {
  baseURL: string;
  /** Requests received so far, by path without the query. */
  requests: Map<string, number>;
  /** The scheme of each request's Authorization header (Bedrock's: aws4fetch's SigV4). */
  authSchemes: string[];
  total(): number;
  reset(): void;
  close(): Promise<void>;
}

/** OpenAI chat: with tools and no tool result yet, ask for the tool; otherwise answer. */
function openaiChat(body: {
  stream?: boolean;
  tools?: unknown[];
  messages?: Array<{ role: string }>;
}): [string, string] {
  const toolTurn = body.tools?.length && !body.messages?.some((message) => message.role === 'tool');
  if (body.stream) return ['text/event-stream', toolTurn ? toolCallStream() : chatStreamBody('streamed')];
  if (!toolTurn) return ['application/json', JSON.stringify(chatCompletion('hello'))];
  const reply = chatCompletion('');
  Object.assign(reply.choices[0], { finish_reason: 'tool_calls' });
  Object.assign(reply.choices[0].message, {
    content: null,
    tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{}' } }],
  });
  return ['application/json', JSON.stringify(reply)];
}

/** A streamed reply that calls the tool `lookup` with no arguments. */
function toolCallStream(): string {
  const chunk = (delta: object, finish: string | null) => ({
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'gpt-test',
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  const call = { index: 0, id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{}' } };
  const events = [chunk({ role: 'assistant', tool_calls: [call] }, null), chunk({}, 'tool_calls')];
  return events.map((event) => `data: ${JSON.stringify(event)}\n\n`).join('') + 'data: [DONE]\n\n';
}

const ANTHROPIC_MESSAGE = {
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-test',
  content: [{ type: 'text', text: 'hello' }],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: { input_tokens: 1, output_tokens: 1 },
};

const GEMINI_REPLY = {
  candidates: [{ content: { role: 'model', parts: [{ text: 'hello' }] }, finishReason: 'STOP', index: 0 }],
  usageMetadata: { promptTokenCount: 1, candidatesTokenCount: 1, totalTokenCount: 2 },
};

const CONVERSE_REPLY = {
  output: { message: { role: 'assistant', content: [{ text: 'hello' }] } },
  stopReason: 'end_turn',
  usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
};

function reply(path: string, body: Record<string, unknown>): [number, string, string] {
  if (path.endsWith('/chat/completions')) return [200, ...openaiChat(body)];
  if (path.endsWith('/embeddings')) {
    const embedding = { object: 'embedding', index: 0, embedding: [0.5, 0.25] };
    return [200, 'application/json', JSON.stringify({ object: 'list', data: [embedding] })];
  }
  if (path.endsWith('/messages')) return [200, 'application/json', JSON.stringify(ANTHROPIC_MESSAGE)];
  if (path.endsWith(':generateContent')) return [200, 'application/json', JSON.stringify(GEMINI_REPLY)];
  if (path.endsWith('/converse')) return [200, 'application/json', JSON.stringify(CONVERSE_REPLY)];
  return [404, 'application/json', '{}'];
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => resolve(text));
  });
}

export async function startProviderServer(): Promise<ProviderServer> {
  const requests = new Map<string, number>();
  const authSchemes: string[] = [];
  const server: Server = createServer((request, response) => {
    const path = decodeURIComponent((request.url ?? '').split('?')[0]);
    requests.set(path, (requests.get(path) ?? 0) + 1);
    authSchemes.push((request.headers.authorization ?? '').split(' ')[0]);
    void readBody(request).then((text) => {
      const [status, type, body] = reply(path, text ? (JSON.parse(text) as Record<string, unknown>) : {});
      response.writeHead(status, { 'content-type': type }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}`,
    requests,
    authSchemes,
    total: () => [...requests.values()].reduce((sum, count) => sum + count, 0),
    reset: () => {
      requests.clear();
      authSchemes.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
