import * as fs from 'node:fs';
import * as net from 'node:net';
import { encodeRecordsJson, MAX_LINE_BYTES, type DaemonReply } from '../daemon-wire/protocol';
import { LineReader } from '../daemon-wire/line-reader';
import type { DetectionRecord } from '../types';
import { exitFlushIsTrusted, flushAtExit, stopFlushingAtExit } from './exit-flush';
import { clearImmediate, clearTimeout, setImmediate, setTimeout } from './node-timers';
import type { RecordSink } from './sink';
import { guardLog } from '../safe-log';
import { warnGuardProblem } from '../warnings';
import { untrustedSocket } from './path-trust';
import { firstWireBatch } from './daemon-batches';

const log = guardLog;

export interface DaemonSinkOptions {
  /** An unacknowledged batch older than this drops the connection: its records go to the fallback. Default 5 s. */
  ackTimeoutMs?: number;
  /** Records queued or awaiting an ack; past it write() declines and the fallback takes them. Default 10,000. */
  maxOutstanding?: number;
}

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 30_000;

interface Batch {
  seq: number;
  records: DetectionRecord[];
  timer: NodeJS.Timeout;
}

type Fault = 'unreachable' | 'rejected' | 'untrusted';

/**
 * Sends records to the local daemon over its Unix socket. write() decides from in-process state
 * only: it takes a record while connected (queued, sent in a setImmediate batch, kept until its
 * ack) and declines otherwise, so the chain offers it to the fallback (the JSONL sink). Connecting
 * runs in the background, with backoff, on unref'd timers and an unref'd socket. When the
 * connection drops, an ack times out or the daemon rejects a batch, the unacknowledged records go
 * to the fallback: at worst a duplicate (ids tell them apart), never a loss. Its timers are
 * Node's own (node-timers.ts), so a test's fake clock neither sees nor holds them.
 */
export class DaemonSink implements RecordSink {
  readonly name = 'daemon';
  private readonly ackTimeoutMs: number;
  private readonly maxOutstanding: number;
  private socket: net.Socket | undefined;
  private isConnected = false;
  private queue: DetectionRecord[] = [];
  private readonly unacked = new Map<number, Batch>();
  /** Records in `unacked`, kept as a count: write() must not walk every batch. */
  private unackedRecords = 0;
  private nextSeq = 1;
  private scheduled: NodeJS.Immediate | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelay = FIRST_RETRY_MS;
  private readonly waiters = new Set<() => void>();
  private readonly faults = new Set<Fault>();
  private closed = false;

  constructor(
    readonly socketPath: string,
    private readonly fallback: RecordSink,
    options: DaemonSinkOptions = {},
  ) {
    this.ackTimeoutMs = options.ackTimeoutMs ?? 5_000;
    this.maxOutstanding = options.maxOutstanding ?? 10_000;
    flushAtExit(this);
    // Where no exit flush can be trusted (a worker thread), a record held until its ack could be
    // lost with the thread: the JSONL sink writes those at once, so this client stays unconnected.
    if (exitFlushIsTrusted) this.connect();
  }

  /** True while a connection to the daemon is open: write() takes records only then. */
  get connected(): boolean {
    return this.isConnected;
  }

  write(record: DetectionRecord): boolean {
    if (this.closed || !this.isConnected) return false;
    if (this.queue.length + this.unackedRecords >= this.maxOutstanding) return false;
    this.queue.push(record);
    if (!this.scheduled) {
      // unref: a pending batch never keeps the process alive; at exit it goes to the fallback.
      this.scheduled = setImmediate(() => {
        this.scheduled = undefined;
        this.sendQueued();
      }).unref();
    }
    return true;
  }

  /** Sends what is queued and waits until every batch sent so far is acked or handed to the fallback. */
  async flush(): Promise<void> {
    this.sendQueued();
    const target = this.nextSeq;
    const settled = () => ![...this.unacked.keys()].some((seq) => seq < target);
    // Bounded: each batch is acked, rejected, or times out after ackTimeoutMs.
    while (!settled()) await new Promise<void>((resolve) => this.waiters.add(resolve));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flush();
    this.handOver();
    this.stopTimers();
    this.socket?.destroy();
    this.socket = undefined;
    this.isConnected = false;
    stopFlushingAtExit(this);
  }

  /** Process exit and signals: everything unacknowledged goes to the fallback, written synchronously. */
  flushSync(): void {
    this.handOver();
    const fallback = this.fallback as RecordSink & { flushSync?: () => void };
    fallback.flushSync?.();
  }

  private connect(): void {
    if (this.closed) return;
    // A missing socket file means no daemon: retry quietly instead of failing a connection each time.
    // lstat: a symlink at the socket path is judged as itself, never followed.
    fs.lstat(this.socketPath, (error, stat) => {
      if (this.closed) return;
      // Nothing there, or a leftover file that is no socket: no daemon yet.
      if (error || !(stat.isSocket() || stat.isSymbolicLink())) {
        this.scheduleReconnect();
        return;
      }
      const problem = untrustedSocket(this.socketPath, stat);
      if (problem) {
        // Another user's socket would receive every record (and could ack it unwritten).
        this.reportOnce('untrusted', () =>
          warnGuardProblem(
            'MIMA_GUARD_UNTRUSTED_SOCKET',
            `not connecting to the Mima daemon socket: ${problem}; the socket and its directory must be owned by you (or root) and not writable by group or others. Records go to the JSONL file`,
          ),
        );
        this.scheduleReconnect();
        return;
      }
      this.faults.delete('untrusted');
      this.open();
    });
  }

  private open(): void {
    const socket = net.createConnection(this.socketPath);
    socket.unref();
    this.socket = socket;
    const reader = new LineReader(MAX_LINE_BYTES, (event) => {
      if (event.kind === 'line') this.onReply(event.line);
    });
    socket.on('connect', () => {
      if (this.closed || this.socket !== socket) return;
      this.isConnected = true;
      this.retryDelay = FIRST_RETRY_MS;
    });
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.on('error', (error) => {
      this.reportOnce('unreachable', () =>
        log.warn(`the Mima daemon at ${this.socketPath} is unreachable; records go to the JSONL file`, error),
      );
    });
    socket.on('close', () => this.onDisconnect(socket));
  }

  private onDisconnect(socket: net.Socket): void {
    if (this.socket !== socket) return;
    const wasConnected = this.isConnected;
    this.socket = undefined;
    this.isConnected = false;
    this.handOver();
    if (this.closed) return;
    if (wasConnected) {
      this.reportOnce('unreachable', () =>
        log.warn(
          `lost the connection to the Mima daemon at ${this.socketPath}; records go to the JSONL file`,
        ),
      );
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retryTimer) return;
    const delay = this.retryDelay;
    this.retryDelay = Math.min(delay * 2, MAX_RETRY_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.connect();
    }, delay).unref();
  }

  /** Sends the queue as batches, each one protocol line under the daemon's cap. */
  private sendQueued(): void {
    if (this.scheduled) {
      clearImmediate(this.scheduled);
      this.scheduled = undefined;
    }
    const socket = this.socket;
    if (!socket || !this.isConnected) {
      this.handOver();
      return;
    }
    while (this.queue.length) {
      const { records, json, tooLong } = firstWireBatch(this.queue);
      this.queue.splice(0, records.length);
      if (tooLong) {
        this.toFallback(records);
        continue;
      }
      const seq = this.nextSeq++;
      const timer = setTimeout(() => this.onAckTimeout(socket), this.ackTimeoutMs).unref();
      this.unacked.set(seq, { seq, records, timer });
      this.unackedRecords += records.length;
      socket.write(encodeRecordsJson(seq, json));
    }
  }

  private onReply(line: Buffer): void {
    let reply: Partial<DaemonReply>;
    try {
      reply = JSON.parse(line.toString('utf8')) as Partial<DaemonReply>;
    } catch {
      return;
    }
    if (typeof reply.seq !== 'number') return;
    const batch = this.unacked.get(reply.seq);
    if (!batch) return;
    if (reply.type === 'ack') {
      // Recovered once the daemon acknowledges, not on connect: a daemon that accepts connections
      // but never answers would otherwise log a lost/reconnected pair at every ack timeout.
      if (this.faults.delete('unreachable')) {
        log.warn(`the Mima daemon at ${this.socketPath} takes records again`);
      }
      this.settle(batch);
    } else if (reply.type === 'error') {
      const reason = typeof reply.reason === 'string' ? reply.reason : 'no reason given';
      this.reportOnce('rejected', () =>
        log.warn(`the Mima daemon rejected a batch (${reason}); its records go to the JSONL file`),
      );
      this.settle(batch);
      this.toFallback(batch.records);
    }
  }

  /** A daemon that stops acknowledging is treated as gone: drop the connection, hand everything over. */
  private onAckTimeout(socket: net.Socket): void {
    if (this.socket !== socket) return;
    this.reportOnce('unreachable', () =>
      log.warn(
        `the Mima daemon at ${this.socketPath} did not acknowledge within ${this.ackTimeoutMs} ms; records go to the JSONL file`,
      ),
    );
    socket.destroy();
  }

  private settle(batch: Batch): void {
    this.forget(batch);
    this.wake();
  }

  private forget(batch: Batch): void {
    clearTimeout(batch.timer);
    this.unacked.delete(batch.seq);
    this.unackedRecords -= batch.records.length;
  }

  /** Every unacknowledged and queued record, in order, to the fallback. */
  private handOver(): void {
    const batches = [...this.unacked.values()].sort((a, b) => a.seq - b.seq);
    for (const batch of batches) {
      this.forget(batch);
      this.toFallback(batch.records);
    }
    const queued = this.queue;
    this.queue = [];
    this.toFallback(queued);
    this.wake();
  }

  private toFallback(records: DetectionRecord[]): void {
    let refused = 0;
    for (const record of records) {
      // The fallback's write needs no call description: the JSONL sink writes the record alone.
      if (!this.fallback.write(record, undefined as never)) refused++;
    }
    // Only a fallback closed before this sink refuses; the chain closes them in the other order.
    if (refused > 0)
      log.error(`${refused} records from the Mima daemon client were lost: its fallback is closed`);
  }

  private wake(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const resolve of waiters) resolve();
  }

  private stopTimers(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.scheduled = undefined;
    this.retryTimer = undefined;
  }

  private reportOnce(fault: Fault, report: () => void): void {
    if (this.faults.has(fault)) return;
    this.faults.add(fault);
    report();
  }
}
