import type { DetectionRecord } from '../types';

/**
 * The daemon's wire protocol: newline-delimited JSON over a Unix socket, one message per line.
 *
 * client → daemon: {"v":1,"type":"records","seq":N,"records":[DetectionRecord, ...]}
 * daemon → client: {"v":1,"type":"ack","seq":N}            after the batch is durably written
 *                  {"v":1,"type":"error","seq":N?,"reason":"..."}  a rejected line (seq when known)
 *
 * A client keeps every batch until its ack arrives; on a dropped connection the unacknowledged
 * records go to the next sink (the JSONL file). Record ids let readers de-duplicate.
 */
export const PROTOCOL_VERSION = 1;

/** Longest line the daemon accepts; longer ones are rejected without being buffered whole. */
export const MAX_LINE_BYTES = 64 * 1024;

export interface RecordsMessage {
  v: typeof PROTOCOL_VERSION;
  type: 'records';
  seq: number;
  records: DetectionRecord[];
}

export interface AckMessage {
  v: typeof PROTOCOL_VERSION;
  type: 'ack';
  seq: number;
}

export interface ErrorMessage {
  v: typeof PROTOCOL_VERSION;
  type: 'error';
  seq?: number;
  reason: string;
}

export type DaemonReply = AckMessage | ErrorMessage;

/** A batch the daemon accepted: what it writes to its log, and what it forwards. */
export interface AcceptedBatch {
  seq: number;
  /** Each record's JSON text, one log line each. */
  lines: string[];
  /** The records as objects, made on demand: only OTLP forwarding needs them. */
  records(): DetectionRecord[];
}

export function encodeRecords(seq: number, records: DetectionRecord[]): string {
  return encodeRecordsJson(
    seq,
    records.map((record) => JSON.stringify(record)),
  );
}

/** encodeRecords for records already serialised (each one JSON object), without parsing them again. */
export function encodeRecordsJson(seq: number, records: readonly string[]): string {
  return `{"v":${PROTOCOL_VERSION},"type":"records","seq":${seq},"records":[${records.join(',')}]}\n`;
}

export function encodeReply(reply: DaemonReply): string {
  return JSON.stringify(reply) + '\n';
}
