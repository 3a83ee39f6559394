import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CoverageLine } from '../coverage/summary-line';
import type { DetectionRecord } from '../types';

/** A `{"type":"dropped",...}` line: records a writer had to give up. `count` defaults to 1. */
export interface DroppedMarker {
  ts: string | null;
  count: number;
}

export interface LogContents {
  /** Files read, each log's oldest backup first. */
  files: string[];
  /** De-duplicated by id: the daemon fallback may write one record to two places. */
  records: DetectionRecord[];
  duplicates: number;
  dropped: DroppedMarker[];
  /** `{"type":"coverage"}` lines: attested and unattested call counts per interval. */
  coverage: CoverageLine[];
  /** Lines that are neither records nor known markers: counted, never fatal. */
  malformed: number;
}

/** The log and its rotated backups (`file.1` newest … `file.N`), oldest first; missing ones are left out. */
export function rotationFiles(file: string): string[] {
  const dir = path.dirname(file);
  const prefix = path.basename(file) + '.';
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const backups = names
    .filter((name) => name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length)))
    .map((name) => Number(name.slice(prefix.length)))
    .sort((a, b) => b - a)
    .map((n) => `${file}.${n}`);
  return names.includes(path.basename(file)) ? [...backups, file] : backups;
}

export function readLogs(logs: string[]): LogContents {
  const contents: LogContents = {
    files: [],
    records: [],
    duplicates: 0,
    dropped: [],
    coverage: [],
    malformed: 0,
  };
  const seen = new Set<string>();
  for (const file of logs.flatMap(rotationFiles)) {
    const text = readIfStillThere(file);
    if (text === null) continue;
    contents.files.push(file);
    for (const line of text.split('\n')) {
      if (line.trim()) readLine(line, contents, seen);
    }
  }
  return contents;
}

/** A backup can be rotated away between listing the directory and reading it. */
function readIfStillThere(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function readLine(line: string, contents: LogContents, seen: Set<string>): void {
  const value = parseObject(line);
  if (value?.type === 'dropped') {
    contents.dropped.push(droppedMarker(value));
  } else if (value?.type === 'coverage' && isCoverageLine(value)) {
    contents.coverage.push(value);
  } else if (value && value.type === undefined && isRecord(value)) {
    if (typeof value.id === 'string' && seen.has(value.id)) {
      contents.duplicates++;
    } else {
      if (typeof value.id === 'string') seen.add(value.id);
      contents.records.push(value);
    }
  } else {
    contents.malformed++;
  }
}

function parseObject(line: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(line);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** What the report needs of a record. The id is optional: the Python guard's lines have none. */
function isRecord(value: Record<string, unknown>): value is Record<string, unknown> & DetectionRecord {
  return (
    typeof value.call_site === 'string' && typeof value.ts === 'string' && !Number.isNaN(Date.parse(value.ts))
  );
}

function droppedMarker(value: Record<string, unknown>): DroppedMarker {
  const count = value.count;
  return {
    ts: typeof value.ts === 'string' ? value.ts : null,
    count: typeof count === 'number' && Number.isInteger(count) && count > 0 ? count : 1,
  };
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function isCoverageLine(value: Record<string, unknown>): value is Record<string, unknown> & CoverageLine {
  return (
    typeof value.ts === 'string' &&
    !Number.isNaN(Date.parse(value.ts)) &&
    Array.isArray(value.calls) &&
    value.calls.every(
      (call: Record<string, unknown> | null) =>
        call !== null &&
        typeof call === 'object' &&
        typeof call.call_site === 'string' &&
        isCount(call.attested) &&
        isCount(call.unattested),
    )
  );
}
