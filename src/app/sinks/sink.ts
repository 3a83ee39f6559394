import type { CallDescription, DetectionRecord } from '../types';

/** One place a detection record can go. The chain offers a record to each in turn. */
export interface RecordSink {
  readonly name: string;
  /** Takes the record without blocking on I/O. False: not taken, offer it to the next sink. */
  write(record: DetectionRecord, call: CallDescription): boolean;
  /** Resolves when everything taken so far is durable; a sink may say whether it is (false: still queued). */
  flush(): Promise<void | boolean>;
  /** Flushes and releases resources; the sink takes nothing afterwards. */
  close(): Promise<void>;
}
