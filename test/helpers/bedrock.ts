import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
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
 * The SDK's default handler in Node is NodeHttp2Handler, which speaks HTTP/2 only: the mock is a
 * cleartext HTTP/2 (h2c) server, which the handler reaches through an `http://` endpoint.
 */
export async function startMockBedrock(): Promise<MockBedrock> {
  const requests: string[] = [];
  const sessions = new Set<http2.ServerHttp2Session>();
  const server = http2.createServer();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  server.on('stream', (stream, headers) => {
    const requestPath = String(headers[':path']);
    requests.push(requestPath);
    stream.resume();
    stream.on('end', () => reply(stream, requestPath));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    async close() {
      for (const session of sessions) session.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function reply(stream: http2.ServerHttp2Stream, requestPath: string): void {
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
