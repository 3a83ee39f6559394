import { stopFlushingAtExit } from '../../app/sinks/exit-flush';
import { JsonlFileSink } from '../../app/sinks/jsonl-sink';

/** Records the daemon holds unwritten at most; past it a batch waits for the file, or is refused. */
const MAX_UNWRITTEN_RECORDS = 10_000;

/**
 * The daemon's log: a JsonlFileSink whose flush result decides each ack. The sink counts (and does
 * not keep) records past its maxQueued, which would make an ack a lie, so the daemon keeps its own
 * upper bound of unwritten records and never lets the sink's queue reach that limit.
 */
export class BatchLog {
  private readonly sink: JsonlFileSink;
  private queued = 0;
  private written = 0;

  constructor(file: string, options: { maxBytes?: number; backups?: number }) {
    this.sink = new JsonlFileSink(file, { ...options, maxQueued: MAX_UNWRITTEN_RECORDS });
    // Not the sink's synchronous flush on SIGTERM/SIGINT/exit: the daemon drains on the signal
    // itself (acking only what is written), and a synchronous rewrite of a batch whose async write
    // is in flight would only log it twice. Unacknowledged batches stay with the client.
    stopFlushingAtExit(this.sink);
  }

  /**
   * Appends records given as their JSON texts (checked by the caller: one record each). True once
   * every one is written; false when the file failed (the client keeps the batch).
   */
  async append(records: readonly string[]): Promise<boolean> {
    if (records.length > MAX_UNWRITTEN_RECORDS) return false;
    while (this.queued - this.written + records.length > MAX_UNWRITTEN_RECORDS) {
      if (!(await this.flush())) return false;
    }
    for (const record of records) {
      if (!this.sink.writeSerialised(record + '\n')) return false;
      this.queued++;
    }
    return this.flush();
  }

  async close(): Promise<void> {
    await this.sink.close();
  }

  private async flush(): Promise<boolean> {
    const target = this.queued;
    // The sink's older flush() resolved to undefined on success.
    const ok = (await this.sink.flush()) !== false;
    if (ok) this.written = Math.max(this.written, target);
    return ok;
  }
}
