import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { BatchLog } from './batch-log';
import { Connection } from './connection';
import { otlpForwarderFor } from './otlp-forwarder';
import { listenExclusively } from './socket-claim';

export interface DaemonOptions {
  socketPath: string;
  /** The daemon's own JSONL log, rotated like the guard's. */
  logFile: string;
  maxBytes?: number;
  backups?: number;
  /** OTLP/HTTP base URL (as OTEL_EXPORTER_OTLP_ENDPOINT); default from the environment, else none. */
  otlpEndpoint?: string;
}

export interface DaemonStats {
  /** Batches written to the log and acknowledged. */
  accepted: number;
  /** Lines refused: not UTF-8 JSON, over the size cap, invalid, cut off, or not writable to the log. */
  rejected: number;
  /** Clients connected now. */
  connections: number;
}

export interface DaemonHandle {
  socketPath: string;
  /** Stops accepting, answers what was received, hangs up, writes the log and removes the socket. */
  close(): Promise<void>;
  stats(): DaemonStats;
}

/**
 * The local daemon: takes batches of detection records from guard processes over a Unix socket,
 * writes them to its log, acknowledges each once written, and forwards them over OTLP if asked.
 */
export async function startDaemon(options: DaemonOptions): Promise<DaemonHandle> {
  const socketPath = path.resolve(options.socketPath);
  const log = new BatchLog(options.logFile, { maxBytes: options.maxBytes, backups: options.backups });
  const forwarder = otlpForwarderFor(options.otlpEndpoint);
  const counts = { accepted: 0, rejected: 0 };
  const connections = new Set<Connection>();

  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    const connection = new Connection(socket, {
      accept: async (batch) => {
        if (!(await log.append(batch.lines))) return false;
        forwarder?.forward(batch.records());
        return true;
      },
      accepted: () => counts.accepted++,
      rejected: () => counts.rejected++,
    });
    connections.add(connection);
    void connection.closed.then(() => connections.delete(connection));
  });

  let socketInode: number;
  try {
    socketInode = await listenExclusively(server, socketPath);
  } catch (error) {
    await Promise.all([log.close(), forwarder?.close()]);
    throw error;
  }

  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    await Promise.all([...connections].map((connection) => connection.drain()));
    await stopped;
    await Promise.all([log.close(), forwarder?.close()]);
    removeIfOurs(socketPath, socketInode);
  };

  return {
    socketPath,
    close: () => (closing ??= close()),
    stats: () => ({ ...counts, connections: connections.size }),
  };
}

/** Node removes the socket file on close; this covers the rest, never a successor's socket. */
function removeIfOurs(socketPath: string, inode: number): void {
  try {
    if (fs.lstatSync(socketPath).ino === inode) fs.unlinkSync(socketPath);
  } catch {
    // Already gone.
  }
}
