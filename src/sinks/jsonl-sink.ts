import * as fs from 'node:fs';
import * as path from 'node:path';
import { diag } from '@opentelemetry/api';
import { PACKAGE_NAME } from '../version';
import type { DetectionRecord } from '../types';
import type { RecordSink } from './sink';

const log = diag.createComponentLogger({ namespace: PACKAGE_NAME });

/** Lines kept in memory while the file cannot be written, before the oldest are dropped (and counted). */
const MAX_PENDING_LINES = 100_000;

/**
 * Appends one JSON line per record. write() only queues; a setImmediate batch writes the
 * queue asynchronously, so no I/O runs on the AI call's path. The directory is created 0700
 * and the file 0600. What is still queued at process exit is written synchronously.
 */
export class JsonlFileSink implements RecordSink {
  readonly name = 'jsonl';
  private queue: string[] = [];
  /** Lines handed to the current async write; rewritten at exit if that write never finished. */
  private inFlight: string[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private writing: Promise<void> = Promise.resolve();
  /** Kept open between batches: one write per batch instead of open, append and close. */
  private handle: fs.promises.FileHandle | undefined;
  private closed = false;
  private dropped = 0;
  private failing = false;
  private readonly onExit = () => this.flushSync();

  constructor(readonly file: string) {
    process.on('exit', this.onExit);
  }

  write(record: DetectionRecord): boolean {
    if (this.closed) return false;
    this.queue.push(JSON.stringify(record) + '\n');
    if (this.queue.length > MAX_PENDING_LINES) {
      this.queue.shift();
      this.dropped++;
    }
    this.schedule();
    return true;
  }

  flush(): Promise<void> {
    if (this.scheduled) {
      clearImmediate(this.scheduled);
      this.scheduled = undefined;
    }
    this.writing = this.writing.then(() => this.writeBatch());
    return this.writing;
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    process.removeListener('exit', this.onExit);
    await this.closeHandle();
  }

  private async closeHandle(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close().catch(() => undefined);
  }

  private schedule(): void {
    if (this.scheduled) return;
    // unref: a pending batch never keeps the process alive; the exit handler writes it.
    this.scheduled = setImmediate(() => {
      this.scheduled = undefined;
      void this.flush();
    }).unref();
  }

  private async writeBatch(): Promise<void> {
    if (this.queue.length === 0) return;
    this.inFlight = this.queue;
    this.queue = [];
    try {
      if (!this.handle) {
        await fs.promises.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
        this.handle = await fs.promises.open(this.file, 'a', 0o600);
      }
      await this.handle.write(this.inFlight.join(''));
      this.inFlight = [];
      this.reportRecovery();
    } catch (error) {
      // Keep the lines for the next batch, and reopen then; the host application never sees the failure.
      this.queue = this.inFlight.concat(this.queue);
      this.inFlight = [];
      await this.closeHandle();
      this.reportFailure(error);
    }
  }

  /** Last-chance write at process exit, when only synchronous I/O runs. */
  flushSync(): void {
    const lines = this.inFlight.concat(this.queue);
    if (lines.length === 0) return;
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
      fs.appendFileSync(this.file, lines.join(''), { mode: 0o600 });
      this.inFlight = [];
      this.queue = [];
    } catch (error) {
      this.reportFailure(error);
    }
  }

  private reportFailure(error: unknown): void {
    if (this.failing) return;
    this.failing = true;
    log.error(
      `cannot write the guard's JSONL report ${this.file}; records are kept in memory and retried`,
      error,
    );
  }

  private reportRecovery(): void {
    if (!this.failing && this.dropped === 0) return;
    log.warn(
      `JSONL report ${this.file} is writable again` +
        (this.dropped ? `; ${this.dropped} oldest records were dropped while it was not` : ''),
    );
    this.failing = false;
    this.dropped = 0;
  }
}
