import type { Context } from '@opentelemetry/api';
import type { CallDescription, DetectionRecord } from '../types';

/** Where and when the call was made: the record is built after it, off the call path. */
export interface RecordOrigin {
  /** The context active at the call (a span's parent). */
  parent: Context;
  /** The call's time, ms since the epoch (the record's ts, a span's start). */
  time: number;
}

/** One place a detection record can go. The chain offers a record to each in turn. */
export interface RecordSink {
  readonly name: string;
  /** Takes the record without blocking on I/O. False: not taken, offer it to the next sink. */
  write(record: DetectionRecord, call: CallDescription, origin?: RecordOrigin): boolean;
  /** Resolves when everything taken so far is durable; a sink may say whether it is (false: still queued). */
  flush(): Promise<void | boolean>;
  /** Flushes and releases resources; the sink takes nothing afterwards. */
  close(): Promise<void>;
}
