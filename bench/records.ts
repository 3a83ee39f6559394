import * as fs from 'node:fs';
import type { DetectionRecord } from '../src';

/**
 * A record shaped like the guard's (same fields, realistic lengths), with an id that names the
 * writer and the record's number, so a reader can tell exactly which records are missing.
 */
export function makeRecord(writer: string, n: number, ts = new Date().toISOString()): DetectionRecord {
  return {
    ts,
    call_site: 'openai.OpenAI.chat',
    attested: false,
    mode: 'report',
    blocked: false,
    code_file: 'src/services/ticket-classifier.ts',
    code_line: 42,
    workspace_id: 'ws-bench',
    pid: process.pid,
    id: recordId(writer, n),
  };
}

/** 36 characters, as a UUID. */
export function recordId(writer: string, n: number): string {
  return `${writer}-${String(n).padStart(35 - writer.length, '0')}`;
}

/** The log and its rotated files (`file`, `file.1`, … `file.<backups>`) that exist. */
export function logFiles(file: string, backups: number): string[] {
  const files = [file];
  for (let i = 1; i <= backups; i++) files.push(`${file}.${i}`);
  return files.filter((name) => fs.existsSync(name));
}

export interface RecordCount {
  /** Non-empty lines over all files. */
  lines: number;
  /** Lines that are not a JSON object with a string id (fragments, 'dropped' count lines). */
  other: number;
  /** Distinct ids. */
  ids: Set<string>;
}

export function countRecords(files: readonly string[]): RecordCount {
  const count: RecordCount = { lines: 0, other: 0, ids: new Set() };
  for (const file of files) {
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      if (!line) continue;
      count.lines++;
      let id: unknown;
      try {
        id = (JSON.parse(line) as { id?: unknown }).id;
      } catch {
        id = undefined;
      }
      if (typeof id === 'string') count.ids.add(id);
      else count.other++;
    }
  }
  return count;
}

/** How many of writer's records 0..n-1 are not among `ids`. */
export function missing(ids: ReadonlySet<string>, writer: string, n: number): number {
  let absent = 0;
  for (let i = 0; i < n; i++) if (!ids.has(recordId(writer, i))) absent++;
  return absent;
}
