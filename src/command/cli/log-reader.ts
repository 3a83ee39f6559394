import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CoverageLine } from '../../app/coverage/summary-line';
import { LineReader, type LineEvent } from '../../app/daemon-wire/line-reader';
import type { DetectionRecord } from '../../app/types';
import { RecordIdSet } from './record-id-set';

/** A `{"type":"dropped",...}` line: records a writer had to give up, and why when it says. */
export interface DroppedMarker {
  ts: string | null;
  /** A positive safe integer; anything else counts as 1 (at least one record was lost). */
  count: number;
  /** The writer's `reason` ("queue-full", "log-path-refused", …), or "unspecified". */
  reason: string;
}

/** What the reader hands on, one line at a time: nothing of a log is held beyond the line. */
export interface LogEntries {
  /** Each record once: the daemon fallback may write one record to two places (same id). */
  record(record: DetectionRecord): void;
  dropped(marker: DroppedMarker): void;
  /** `{"type":"coverage"}` lines: attested and unattested call counts per interval. */
  coverage(line: CoverageLine): void;
}

export interface LogsRead {
  /** Files read, each log's oldest backup first. */
  files: string[];
  /** Logs asked for of which neither the file nor any rotated backup exists. */
  missing: string[];
  duplicates: number;
  /** Lines that are neither records nor known markers (or longer than any record): counted, never fatal. */
  malformed: number;
}

/** A log that exists but cannot be read (permissions, a directory, an I/O error). */
export class UnreadableLogError extends Error {
  override readonly name = 'UnreadableLogError';
  constructor(
    readonly file: string,
    cause: unknown,
  ) {
    const code = (cause as NodeJS.ErrnoException).code;
    super(`cannot read ${file}: ${code ?? (cause instanceof Error ? cause.message : String(cause))}`);
  }
}

const CHUNK_BYTES = 1 << 20;
/** No record the guard writes comes near this; a longer line is skipped without being held whole. */
const MAX_LINE_BYTES = 1 << 20;
const NEWLINE = Buffer.from('\n');
/** A reason is a short kind: a longer one is cut, and past MAX_REASONS kinds the rest are "other". */
const MAX_REASON_LENGTH = 64;
const MAX_REASONS = 32;

/** The log and its rotated backups (`file.1` newest … `file.N`), oldest first; missing ones are left out. */
export function rotationFiles(file: string): string[] {
  const dir = path.dirname(file);
  const prefix = path.basename(file) + '.';
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // An unlistable directory: try the file itself, so that its own error is the one reported.
    return code === 'ENOENT' || code === 'ENOTDIR' ? [] : [file];
  }
  const backups = names
    .filter((name) => name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length)))
    .map((name) => Number(name.slice(prefix.length)))
    .sort((a, b) => b - a)
    .map((n) => `${file}.${n}`);
  return names.includes(path.basename(file)) ? [...backups, file] : backups;
}

/**
 * Streams each log with its backups, line by line, into `entries`: memory is the line being read
 * and the record ids seen (for de-duplication), never the file, so a log of any size is read.
 */
export function readLogs(logs: string[], entries: LogEntries): LogsRead {
  const read: LogsRead = { files: [], missing: [], duplicates: 0, malformed: 0 };
  const ids = new RecordIdSet();
  const reasons = new Set<string>();
  const onLine = (line: string) => {
    const value = parseObject(line);
    if (value?.type === 'dropped') {
      entries.dropped(droppedMarker(value, reasons));
    } else if (value?.type === 'coverage' && isCoverageLine(value)) {
      entries.coverage(value);
    } else if (value && value.type === undefined && isRecord(value)) {
      if (typeof value.id === 'string' && !ids.add(value.id)) read.duplicates++;
      else entries.record(value);
    } else {
      read.malformed++;
    }
  };
  for (const log of logs) {
    let found = false;
    for (const file of rotationFiles(log)) {
      if (!streamLines(file, onLine, () => read.malformed++)) continue;
      read.files.push(file);
      found = true;
    }
    if (!found) read.missing.push(log);
  }
  return read;
}

/**
 * Reads a file in chunks through the daemon's line framer. False when it is gone (a backup can be
 * rotated away between listing the directory and opening it); any other failure is an
 * UnreadableLogError. A last line without its newline (a write cut short) is still read.
 */
function streamLines(file: string, onLine: (line: string) => void, onTooLong: () => void): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new UnreadableLogError(file, error);
  }
  const reader = new LineReader(MAX_LINE_BYTES, (event: LineEvent) => {
    if (event.kind === 'line') {
      const line = event.line.toString('utf8');
      if (line.trim()) onLine(line);
    } else if (event.kind === 'too-long') {
      onTooLong();
    }
  });
  try {
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    for (;;) {
      const bytes = fs.readSync(fd, chunk, 0, CHUNK_BYTES, null);
      if (bytes === 0) break;
      reader.push(chunk.subarray(0, bytes));
    }
  } catch (error) {
    throw new UnreadableLogError(file, error);
  } finally {
    fs.closeSync(fd);
  }
  if (reader.hasPartialLine) reader.push(NEWLINE);
  reader.end();
  return true;
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

function droppedMarker(value: Record<string, unknown>, reasons: Set<string>): DroppedMarker {
  const count = value.count;
  return {
    ts: typeof value.ts === 'string' ? value.ts : null,
    count: Number.isSafeInteger(count) && (count as number) > 0 ? (count as number) : 1,
    reason: reasonOf(value.reason, reasons),
  };
}

/** The marker's reason, bounded: a hostile log must not make the summary hold a million kinds. */
function reasonOf(value: unknown, reasons: Set<string>): string {
  if (typeof value !== 'string' || value === '') return 'unspecified';
  const reason = value.length > MAX_REASON_LENGTH ? `${value.slice(0, MAX_REASON_LENGTH)}…` : value;
  if (reasons.has(reason)) return reason;
  if (reasons.size >= MAX_REASONS) return 'other';
  reasons.add(reason);
  return reason;
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
