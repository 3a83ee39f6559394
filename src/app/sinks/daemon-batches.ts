import { MAX_LINE_BYTES } from '../daemon-wire/protocol';
import type { DetectionRecord } from '../types';

/** Room for the message envelope around the records, under the daemon's line cap. */
const MAX_BATCH_BYTES = MAX_LINE_BYTES - 256;

export interface WireBatch {
  records: DetectionRecord[];
  /** Each record's JSON, serialised once: the JSON measured is the JSON sent. */
  json: string[];
  /** One record longer than a line allows: the daemon would refuse it, so the file takes it. */
  tooLong: boolean;
}

/** The first batch of the queue (at least one record) that fits one protocol line under the daemon's cap. */
export function firstWireBatch(queue: readonly DetectionRecord[], maxBytes = MAX_BATCH_BYTES): WireBatch {
  const json: string[] = [];
  let bytes = 0;
  while (json.length < queue.length) {
    const line = JSON.stringify(queue[json.length]);
    const size = Buffer.byteLength(line) + 1;
    if (json.length > 0 && bytes + size > maxBytes) break;
    json.push(line);
    bytes += size;
  }
  return { records: queue.slice(0, json.length), json, tooLong: bytes > maxBytes };
}
