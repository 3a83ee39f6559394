import * as fs from 'node:fs';
import type { DetectionRecord } from '../../src/app/types';

/**
 * The non-empty lines of a JSONL log and its rotated files (`file.1`, `file.2`, … up to the first
 * one missing), oldest file last. The file itself may be missing (rotated away just now).
 */
export function rotatedLogLines(file: string): string[] {
  const lines: string[] = [];
  for (let n = 0; ; n++) {
    const name = n === 0 ? file : `${file}.${n}`;
    if (!fs.existsSync(name)) {
      if (n > 0) break;
      continue;
    }
    for (const line of fs.readFileSync(name, 'utf8').split('\n')) if (line) lines.push(line);
  }
  return lines;
}

/** The records in the text of a JSONL log: one a non-empty line. */
export function parseLogRecords<T = DetectionRecord>(text: string): T[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);
}

/**
 * The records in a JSONL log (the file alone, not its rotated ones). A missing file throws
 * (ENOENT) unless `missing: 'empty'`, for a log that a run may not have written at all.
 */
export function readLogRecords<T = DetectionRecord>(
  file: string,
  { missing = 'throw' }: { missing?: 'throw' | 'empty' } = {},
): T[] {
  if (missing === 'empty' && !fs.existsSync(file)) return [];
  return parseLogRecords<T>(fs.readFileSync(file, 'utf8'));
}
