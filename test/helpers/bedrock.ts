import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';
import { ROOT, useGuard } from './guard';

export type BedrockModule = typeof import('@aws-sdk/client-bedrock-runtime');

export const BEDROCK_DIR = path.join(ROOT, 'test', 'versions', 'bedrock-3');
export const MODEL_ID = 'anthropic.claude-test-v1:0';

/** The published package installed by the bedrock-3 workspace (may be hoisted to the root). */
export function bedrockEntry(): string {
  return require.resolve('@aws-sdk/client-bedrock-runtime', { paths: [BEDROCK_DIR] });
}

/** Loads the package, with the guard's hooks in place first. */
export function loadBedrock(): BedrockModule {
  useGuard();
  return require(bedrockEntry()) as BedrockModule;
}

/** Client options for the mock: fake credentials, one attempt (no retries hide a request). */
export function clientConfig(endpoint: string) {
  return {
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    maxAttempts: 1,
  };
}

/** A local stand-in for Bedrock Runtime that records the path of every request it receives. */
export interface MockBedrock {
  endpoint: string;
  requests: string[];
  close(): Promise<void>;
}

/**
 * The SDK's default handler in Node is NodeHttp2Handler (HTTP/2 only) since 3.5xx; the first 3.x
 * releases used NodeHttpHandler (HTTP/1.1). One port serves both, told apart by the HTTP/2
 * connection preface: a cleartext HTTP/2 (h2c) server, which the handler reaches through an
 * `http://` endpoint, or an HTTP/1.1 server with the same replies.
 */
export async function startMockBedrock(): Promise<MockBedrock> {
  const requests: string[] = [];
  const sockets = new Set<net.Socket>();
  const sessions = new Set<http2.ServerHttp2Session>();
  const h2 = http2.createServer();
  h2.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  h2.on('stream', (stream, headers) => {
    const requestPath = String(headers[':path']);
    requests.push(requestPath);
    stream.resume();
    stream.on('end', () => reply(stream, requestPath));
  });
  const h1 = http.createServer((req, res) => {
    const requestPath = req.url ?? '/';
    requests.push(requestPath);
    req.resume();
    req.on('end', () => reply(http1Stream(res), requestPath));
  });
  await Promise.all([h1, h2].map((s) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))));
  // The front port passes each connection on, bytes untouched, to the server of its protocol.
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.once('data', (first: Buffer) => {
      const target = first.toString('latin1').startsWith('PRI * HTTP/2') ? h2 : h1;
      const upstream = net.connect((target.address() as net.AddressInfo).port, '127.0.0.1');
      sockets.add(upstream);
      upstream.on('close', () => sockets.delete(upstream));
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
      upstream.write(first);
      socket.pipe(upstream).pipe(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    async close() {
      for (const session of sessions) session.destroy();
      for (const socket of sockets) socket.destroy();
      h1.closeAllConnections();
      await Promise.all([server, h1, h2].map((s) => new Promise((resolve) => s.close(resolve))));
    },
  };
}

type ReplyStream = Pick<http2.ServerHttp2Stream, 'respond' | 'end'>;

/** The part of an HTTP/2 stream reply() uses, over an HTTP/1.1 response. */
function http1Stream(res: http.ServerResponse): ReplyStream {
  return {
    respond(headers: http2.OutgoingHttpHeaders = {}) {
      const { ':status': status, ...rest } = headers;
      res.writeHead(Number(status ?? 200), rest);
    },
    end(body?: unknown) {
      res.end(body);
      return this;
    },
  } as ReplyStream;
}

function reply(stream: ReplyStream, requestPath: string): void {
  const operation = requestPath.split('/').pop();
  if (operation === 'converse') {
    stream.respond({ ':status': 200, 'content-type': 'application/json' });
    stream.end(JSON.stringify(converseReply()));
  } else if (operation === 'converse-stream') {
    stream.respond({ ':status': 200, 'content-type': 'application/vnd.amazon.eventstream' });
    stream.end(
      Buffer.concat([
        eventMessage('messageStart', { role: 'assistant' }),
        eventMessage('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'hello' } }),
        eventMessage('messageStop', { stopReason: 'end_turn' }),
      ]),
    );
  } else if (operation === 'invoke-with-response-stream') {
    // Each chunk's payload carries the model's own JSON, base64-encoded.
    const bytes = Buffer.from(JSON.stringify({ completion: 'hello' })).toString('base64');
    stream.respond({ ':status': 200, 'content-type': 'application/vnd.amazon.eventstream' });
    stream.end(eventMessage('chunk', { bytes }));
  } else if (operation === 'invoke') {
    stream.respond({ ':status': 200, 'content-type': 'application/json' });
    stream.end(JSON.stringify({ completion: 'hello' }));
  } else {
    stream.respond({ ':status': 404, 'content-type': 'application/json' });
    stream.end(JSON.stringify({ message: `no mock for ${requestPath}` }));
  }
}

function converseReply() {
  return {
    output: { message: { role: 'assistant', content: [{ text: 'hello' }] } },
    stopReason: 'end_turn',
    usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
    metrics: { latencyMs: 1 },
  };
}

/**
 * One message of the AWS event stream encoding: a prelude (total and headers length, CRC32),
 * string headers (name length, name, type 7, value length, value), the payload, a CRC32 of it all.
 */
function eventMessage(eventType: string, payload: object): Buffer {
  const headerValues = {
    ':event-type': eventType,
    ':content-type': 'application/json',
    ':message-type': 'event',
  };
  const headers = Buffer.concat(
    Object.entries(headerValues).map(([name, value]) => {
      const nameBytes = Buffer.from(name);
      const valueBytes = Buffer.from(value);
      const header = Buffer.alloc(4 + nameBytes.length + valueBytes.length);
      header.writeUInt8(nameBytes.length, 0);
      nameBytes.copy(header, 1);
      header.writeUInt8(7, 1 + nameBytes.length);
      header.writeUInt16BE(valueBytes.length, 2 + nameBytes.length);
      valueBytes.copy(header, 4 + nameBytes.length);
      return header;
    }),
  );
  const body = Buffer.from(JSON.stringify(payload));
  const prelude = Buffer.alloc(12);
  prelude.writeUInt32BE(12 + headers.length + body.length + 4, 0);
  prelude.writeUInt32BE(headers.length, 4);
  prelude.writeUInt32BE(crc32(prelude.subarray(0, 8)), 8);
  const message = Buffer.concat([prelude, headers, body]);
  const messageCrc = Buffer.alloc(4);
  messageCrc.writeUInt32BE(crc32(message), 0);
  return Buffer.concat([message, messageCrc]);
}
