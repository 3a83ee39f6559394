import * as fs from 'node:fs';

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
