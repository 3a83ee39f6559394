import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startMockBedrock } from '../helpers/bedrock';
import type { ConformanceRow } from './row';

/** The row's stand-in API on 127.0.0.1; `requests` counts what really reached it. */
export interface MockServer {
  origin: string;
  readonly requests: number;
  close(): Promise<void>;
}

export async function startMockServer(row: ConformanceRow): Promise<MockServer> {
  if (row.server === 'none') return { origin: '', requests: 0, close: async () => undefined };
  if (row.server === 'bedrock') {
    const bedrock = await startMockBedrock();
    return {
      origin: bedrock.endpoint,
      get requests() {
        return bedrock.requests.length;
      },
      close: () => bedrock.close(),
    };
  }
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        // Not JSON: the reply depends on the path only.
      }
      const reply = row.reply!(req.url ?? '/', body);
      res.writeHead(200, { 'content-type': reply.type });
      res.end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get requests() {
      return requests;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
