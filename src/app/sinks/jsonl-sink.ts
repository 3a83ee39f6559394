import type { DetectionRecord } from '../types';
import { exitFlushIsTrusted, flushAtExit, stopFlushingAtExit } from './exit-flush';
import type * as LogFileCode from './log-file';
import { clearImmediate, clearTimeout, setImmediate, setTimeout } from './node-timers';
import type { RecordSink } from './sink';
import { warnGuardProblemNow } from '../warnings';
import { nextBatch } from './jsonl-batch';
import { JsonlFaults, type DropReason } from './jsonl-faults';

export type { DropReason } from './jsonl-faults';

export interface JsonlFileSinkOptions {
  /** Rotate before a batch would take the file past this many bytes. Default 10 MB. */
  maxBytes?: number;
  /** Rotated files kept: `file.1` (newest) … `file.<backups>` (oldest). Default 3. */
  backups?: number;
  /** Lines kept in memory while the file cannot be written; the overflow is counted. Default 10,000. */
  maxQueued?: number;
  /**
   * Where what this file still holds at exit goes when it cannot be written (a refused or failing
   * path): the default log. Made when first needed.
   */
  fallback?: () => JsonlFileSink | undefined;
}

/**
 * A lone record waits this long for others to share its write; a full batch goes at once. A write
 * per record costs an AI call tens of microseconds of the process's time (two file stats and a
 * thread-pool write), batched a fraction of one.
 */
const BATCH_DELAY_MS = 50;
/** Records queued that make a batch worth writing without waiting: about 256 KB. */
const FULL_BATCH_RECORDS = 1000;
const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 30_000;
const ROTATION_WAIT_MS = 5;
const ROTATION_WAIT_ATTEMPTS = 100;

let logFileCode: typeof LogFileCode | undefined;

/**
 * Rotation, locking and the private-file checks load with the first line queued: a process that
 * never reports an unattested call never needs them, and every module costs its start-up. Not
 * later, in a background write: a test runner's sandbox (Jest) refuses a require after its
 * environment is torn down, while the line is queued during the call that made it.
 */
function fileCode(): typeof LogFileCode {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (logFileCode ??= require('./log-file') as typeof LogFileCode);
}

/**
 * Appends one JSON line per record. write() only queues the line (a JSON string takes less memory
 * than the record object, whose id is a rope of small strings); a batch, BATCH_DELAY_MS after the
 * first line it holds (at once when FULL_BATCH_RECORDS are waiting), appends the queue with one
 * write of whole lines on an O_APPEND descriptor, so no I/O runs on the AI call's path and
 * concurrent writers (processes, worker threads) never interleave inside a line. A failed
 * batch stays queued (bounded by maxQueued) and is retried on an unref'd timer with backoff; each
 * kind of fault is logged once through diag. Process exit and SIGINT/SIGTERM write what is left
 * synchronously (exit-flush.ts); where that cannot be counted on (a worker thread), each line is
 * written synchronously as it is queued. Rotation and the private-file rules are in log-file.ts.
 */
export class JsonlFileSink implements RecordSink {
  readonly name = 'jsonl';
  /** The file, once a write needed it (see fileCode). */
  private openedLogFile: LogFileCode.LogFile | undefined;
  private readonly maxBytes: number;
  private readonly backups: number;
  private readonly maxQueued: number;
  private queue: string[] = [];
  /** Lines handed to the current async write; rewritten at exit if that write never finished. */
  private inFlight: string[] = [];
  /** Lines ever queued / ever written, in order: flush() waits for the count at its call. */
  private queuedCount = 0;
  private writtenCount = 0;
  /** Records refused since the last successful write because the queue was full. */
  private dropped = 0;
  private dropReason: DropReason | undefined;
  private readonly fallback: (() => JsonlFileSink | undefined) | undefined;
  /** The next batch's timer: a delay (setTimeout) or, for a full batch, setImmediate. */
  private scheduled: { timer: NodeJS.Timeout | NodeJS.Immediate; soon: boolean } | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelay = FIRST_RETRY_MS;
  private writing: Promise<boolean> = Promise.resolve(true);

  private closed = false;
  private readonly faults: JsonlFaults;

  constructor(
    readonly file: string,
    options: JsonlFileSinkOptions = {},
  ) {
    this.maxBytes = options.maxBytes ?? 10 * 1024 * 1024;
    this.backups = options.backups ?? 3;
    this.maxQueued = options.maxQueued ?? 10_000;
    this.fallback = options.fallback;
    this.faults = new JsonlFaults(file, this.fallback !== undefined);
    flushAtExit(this);
  }

  write(record: DetectionRecord): boolean {
    return this.writeLine(record);
  }

  /** Queues any JSON value (a record, or a marker such as the coverage summary) as one line. */
  writeLine(value: object): boolean {
    return this.writeSerialised(JSON.stringify(value) + '\n');
  }

  /** Queues one line already serialised by the caller: one JSON object and its '\n'. */
  writeSerialised(line: string): boolean {
    if (this.closed) return false;
    if (this.queue.length + this.inFlight.length >= this.maxQueued) {
      this.dropped++;
      this.dropReason ??= this.faults.dropReason();
      this.faults.overflow(this.maxQueued);
      return true;
    }
    fileCode();
    this.queue.push(line);
    this.queuedCount++;
    // While the file is failing, the retry timer writes; a write per call would only fail again.
    if (this.retryTimer) return true;
    // Where no exit flush can be trusted (a worker thread, which terminate() stops without running
    // any of its code), the line is written before the call that made it goes on.
    if (exitFlushIsTrusted) this.schedule();
    else this.flushSync();
    return true;
  }

  /**
   * Resolves once every line queued before the call is handed to the OS: true, or false when a
   * write failed and lines remain queued (they are retried).
   */
  flush(): Promise<boolean> {
    this.unschedule();
    const target = this.queuedCount;
    const done = this.writing.then(() => this.drain(target));
    this.writing = done.catch(() => false);
    return done;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  /**
   * Moves the lines still queued (and the dropped count) to `next`, in order: the guard was
   * reconfigured to another file while this one could not be written. Call it after a flush()
   * that resolved false, when no write is in flight.
   */
  handOverTo(next: JsonlFileSink): void {
    const lines = this.queue;
    this.queue = [];
    next.takeOver(lines, this.dropped, this.dropReason);
    // They count as written here: this sink's flush() waiters must not wait for them.
    this.writtenCount += lines.length;
    this.dropped = 0;
    this.dropReason = undefined;
    this.releaseIfDone();
  }

  private takeOver(lines: string[], dropped: number, reason: DropReason | undefined): void {
    const room = Math.max(0, this.maxQueued - this.queue.length - this.inFlight.length);
    if (dropped > 0 || lines.length > room) this.dropReason ??= reason ?? 'queue-full';
    this.queue.push(...lines.slice(0, room));
    this.queuedCount += Math.min(room, lines.length);
    this.dropped += dropped + Math.max(0, lines.length - room);
    if (!this.retryTimer) this.schedule();
  }

  /** Synchronous write of everything left: process exit, signals. */
  flushSync(): void {
    this.unschedule();
    if (!this.queue.length && !this.inFlight.length && !this.dropped) return this.releaseIfDone();
    // An async write still in flight keeps its descriptor; this one uses its own.
    const logFile = this.inFlight.length
      ? new (fileCode().LogFile)(this.file, this.maxBytes, this.backups)
      : this.logFile;
    this.queue = this.inFlight.concat(this.queue);
    this.inFlight = [];
    try {
      while (this.queue.length || this.dropped) {
        const { lines, data, dropped } = nextBatch(this.queue, this.maxBytes, this.dropped, this.dropReason);
        // No waiting at exit: past a busy lock the line lands in the file being rotated, not lost.
        const fd = logFile.prepare(data.length) ?? logFile.descriptor();
        fileCode().appendWholeSync(fd, logFile.startingOnNewLine(data));
        this.queue.splice(0, lines);
        this.written(lines, dropped);
      }
    } catch (error) {
      this.failed(error);
    } finally {
      if (logFile !== this.openedLogFile) logFile.close();
    }
    if (this.queue.length || this.dropped) this.giveUpAtExit();
    this.releaseIfDone();
  }

  /**
   * The process is ending and this file cannot take what is left: the fallback takes it (its own
   * exit flush runs after this one, it was made later), else it is lost, and said so.
   */
  private giveUpAtExit(): void {
    const fallback = this.fallback?.();
    if (fallback && fallback !== this) {
      this.handOverTo(fallback);
      return;
    }
    warnGuardProblemNow(
      'MIMA_GUARD_RECORDS_DROPPED',
      `${this.queue.length + this.dropped} unattested-call records were lost at exit: the guard's JSONL report ${this.file} could not be written`,
    );
  }

  private schedule(): void {
    const soon = this.queue.length >= FULL_BATCH_RECORDS;
    if (this.scheduled && (this.scheduled.soon || !soon)) return;
    this.unschedule();
    const run = () => {
      this.scheduled = undefined;
      void this.flush();
    };
    // unref: a pending batch never keeps the process alive; the exit handler writes it.
    const timer = soon ? setImmediate(run) : setTimeout(run, BATCH_DELAY_MS);
    this.scheduled = { timer: timer.unref(), soon };
  }

  private unschedule(): void {
    if (!this.scheduled) return;
    if (this.scheduled.soon) clearImmediate(this.scheduled.timer as NodeJS.Immediate);
    else clearTimeout(this.scheduled.timer as NodeJS.Timeout);
    this.scheduled = undefined;
  }

  private async drain(target: number): Promise<boolean> {
    while (this.writtenCount < target || this.dropped > 0) {
      if (this.queue.length === 0 && this.dropped === 0) break;
      if (!(await this.writeBatch())) return false;
    }
    this.releaseIfDone();
    return true;
  }

  private async writeBatch(): Promise<boolean> {
    const { lines, data, dropped } = nextBatch(this.queue, this.maxBytes, this.dropped, this.dropReason);
    const batch = this.queue.splice(0, lines);
    this.inFlight = batch;
    try {
      const fd = await this.descriptorFor(data.length);
      await fileCode().appendWhole(fd, this.logFile.startingOnNewLine(data));
      // flushSync() (a signal the app handles, then carries on) took this batch over and wrote
      // it again: it is counted there, not twice (a duplicate line, never an early flush()).
      if (this.inFlight !== batch) return true;
      this.inFlight = [];
      this.written(lines, dropped);
      return true;
    } catch (error) {
      if (this.inFlight !== batch) return true;
      // Keep the lines, in order, for the retry; the host application never sees the failure.
      this.queue = this.inFlight.concat(this.queue);
      this.inFlight = [];
      this.openedLogFile?.close();
      this.failed(error);
      return false;
    }
  }

  /** Waits out another writer's rotation (a few renames) for a while, then writes anyway. */
  private async descriptorFor(bytes: number): Promise<number> {
    for (let attempt = 0; attempt < ROTATION_WAIT_ATTEMPTS; attempt++) {
      const fd = this.logFile.prepare(bytes);
      if (fd !== undefined) return fd;
      await new Promise((resolve) => setTimeout(resolve, ROTATION_WAIT_MS).unref());
    }
    return this.logFile.descriptorPastLimit(`another writer held ${this.file}.lock`);
  }

  private written(lines: number, dropped: number): void {
    this.writtenCount += lines;
    this.dropped -= dropped;
    if (this.dropped === 0) this.dropReason = undefined;
    this.retryDelay = FIRST_RETRY_MS;
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    this.faults.written();
  }

  private failed(error: unknown): void {
    this.faults.failed(error, fileCode());
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.retryTimer) return;
    const delay = this.retryDelay;
    this.retryDelay = Math.min(delay * 2, MAX_RETRY_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.flush();
    }, delay).unref();
  }

  /** A closed sink with nothing left stops its timers, exit hook and descriptor. */
  private releaseIfDone(): void {
    if (!this.closed || this.queue.length || this.inFlight.length || this.dropped) return;
    stopFlushingAtExit(this);
    this.openedLogFile?.close();
  }

  private get logFile(): LogFileCode.LogFile {
    return (this.openedLogFile ??= new (fileCode().LogFile)(this.file, this.maxBytes, this.backups));
  }
}
