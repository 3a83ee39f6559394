import type { DropReason } from './jsonl-faults';

/**
 * A batch never exceeds this, nor a quarter of maxBytes: concurrent writers may each append one
 * batch past a size check, so smaller batches keep the files closer to maxBytes.
 */
const MAX_BATCH_BYTES = 1024 * 1024;

export interface Batch {
  /** Lines taken from the head of the queue. */
  lines: number;
  data: Buffer;
  /** The dropped count its marker line reports (0: none). */
  dropped: number;
}

/**
 * The next batch of a JSONL sink's queue: whole lines up to the batch limit (at least one), then
 * the `dropped` marker when records were given up. Lines are measured in UTF-16 code units
 * (Buffer.byteLength per line cost a fifth of the writer's time), one byte each for the ASCII a
 * record is almost always made of; a batch of other text can reach three times the limit, still
 * under maxBytes.
 */
export function nextBatch(
  queue: readonly string[],
  maxBytes: number,
  dropped: number,
  reason: DropReason | undefined,
): Batch {
  const limit = Math.min(Math.ceil(maxBytes / 4), MAX_BATCH_BYTES);
  let lines = 0;
  let size = 0;
  while (lines < queue.length) {
    const length = queue[lines].length;
    if (lines > 0 && size + length > limit) break;
    size += length;
    lines++;
  }
  let text = lines === queue.length ? queue.join('') : queue.slice(0, lines).join('');
  if (dropped) {
    const marker = {
      type: 'dropped',
      count: dropped,
      reason: reason ?? 'queue-full',
      ts: new Date().toISOString(),
    };
    text += JSON.stringify(marker) + '\n';
  }
  return { lines, data: Buffer.from(text), dropped };
}
