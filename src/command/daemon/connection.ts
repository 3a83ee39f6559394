import type * as net from 'node:net';
import type { DetectionRecord } from '../../app/types';
import { LineReader, type LineEvent } from '../../app/daemon-wire/line-reader';
import { readCanonicalBatch } from './canonical-batch';
import {
  encodeReply,
  MAX_LINE_BYTES,
  PROTOCOL_VERSION,
  type AcceptedBatch,
  type DaemonReply,
} from '../../app/daemon-wire/protocol';
import { validateMessage } from './validate';
import { guardLog } from '../../app/safe-log';

const log = guardLog;

/** Lines waiting for their turn before the connection stops reading (memory stays bounded). */
const MAX_PENDING_LINES = 32;
/** Replies the client leaves unread past this mean it is not reading: the connection is dropped. */
const MAX_UNREAD_REPLY_BYTES = 1024 * 1024;
/** How long close() waits for a client to hang up after its last reply. */
const HANG_UP_WAIT_MS = 1000;

const utf8 = new TextDecoder('utf-8', { fatal: true });

export interface ConnectionHooks {
  /** Writes the batch; true once it is durable. */
  accept(batch: AcceptedBatch): Promise<boolean>;
  accepted(): void;
  rejected(): void;
}

/**
 * One client. Each line is checked and its batch written as it arrives; replies go out in the
 * order of the lines. Whatever a line holds, the worst outcome is an error reply for it.
 */
export class Connection {
  readonly closed: Promise<void>;
  private readonly reader: LineReader;
  private work: Promise<void> = Promise.resolve();
  private pending = 0;
  private draining = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly hooks: ConnectionHooks,
  ) {
    this.reader = new LineReader(MAX_LINE_BYTES, (event) => this.enqueue(event));
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => {
      // Draining: lines not yet read are left to the client, which keeps them until acked.
      if (!this.draining) this.reader.push(chunk);
    });
    // The client may half-close after its last batch and still wait for the acks.
    socket.on('end', () => {
      this.reader.end();
      void this.settled().then(() => socket.end());
    });
    socket.on('error', (error) => log.debug('daemon client connection failed', error));
    socket.once('close', () => {
      // Disconnected inside a line: nobody is left to tell, but it is counted.
      if (this.reader.hasPartialLine) hooks.rejected();
    });
  }

  /** Stops reading, answers every line already received, then hangs up. */
  async drain(): Promise<void> {
    this.draining = true;
    this.socket.pause();
    await this.settled();
    this.socket.end();
    // Read on (discarding) so that the client's own hang-up is seen and the close is prompt.
    this.socket.resume();
    const timer = setTimeout(() => this.socket.destroy(), HANG_UP_WAIT_MS);
    await this.closed;
    clearTimeout(timer);
  }

  private async settled(): Promise<void> {
    while (this.pending > 0) await this.work;
  }

  private enqueue(event: LineEvent): void {
    this.pending++;
    if (this.pending >= MAX_PENDING_LINES) this.socket.pause();
    // The batch's write starts at once, so the batches of lines in flight share file writes
    // (the log's flush takes everything queued); the replies still go out in line order.
    const outcome = this.handle(event).catch((error: unknown) => {
      log.error('daemon failed to handle a line', error);
      return undefined;
    });
    this.work = this.work
      .then(() => outcome)
      .then((reply) => {
        if (reply) this.reply(reply);
      })
      .finally(() => {
        this.pending--;
        if (this.pending < MAX_PENDING_LINES / 2 && !this.draining) this.socket.resume();
      });
  }

  /** The reply a line earns (none for an empty line), counted; resolves once its batch is written. */
  private async handle(event: LineEvent): Promise<DaemonReply | undefined> {
    if (event.kind === 'too-long') return this.reject(`line longer than ${MAX_LINE_BYTES} bytes`);
    if (event.kind === 'unterminated') return this.reject('connection ended inside a line');
    // An empty line carries nothing; it is neither accepted nor rejected.
    if (event.line.length === 0) return undefined;
    const batch = acceptedBatch(event.line);
    if ('reason' in batch) return this.reject(batch.reason, batch.seq);
    if (!(await this.hooks.accept(batch))) {
      return this.reject('the daemon could not write the batch to its log', batch.seq);
    }
    this.hooks.accepted();
    return { v: PROTOCOL_VERSION, type: 'ack', seq: batch.seq };
  }

  private reject(reason: string, seq?: number): DaemonReply {
    this.hooks.rejected();
    return { v: PROTOCOL_VERSION, type: 'error', ...(seq === undefined ? {} : { seq }), reason };
  }

  private reply(reply: DaemonReply): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    if (this.socket.writableLength > MAX_UNREAD_REPLY_BYTES) {
      log.warn('daemon client does not read its replies; dropping the connection');
      this.socket.destroy();
      return;
    }
    this.socket.write(encodeReply(reply));
  }
}

/**
 * A line's batch, or why it is refused. A batch in the guard's own form takes the fast path
 * (canonical-batch.ts); any other line is parsed and validated in full.
 */
function acceptedBatch(line: Buffer): AcceptedBatch | { reason: string; seq?: number } {
  const canonical = readCanonicalBatch(line);
  if (canonical) {
    const { seq, records } = canonical;
    return { seq, lines: records, records: () => records.map((text) => JSON.parse(text) as DetectionRecord) };
  }
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(line));
  } catch {
    return { reason: 'line is not UTF-8 JSON' };
  }
  const validation = validateMessage(value);
  if (!validation.ok) return validation;
  const { seq, records } = validation.message;
  return { seq, lines: records.map((record) => JSON.stringify(record)), records: () => records };
}
