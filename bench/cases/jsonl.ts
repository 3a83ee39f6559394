import * as fs from 'node:fs';
import * as path from 'node:path';
import { runScenario, type ScenarioResult } from '../child';
import { makeFigure, textTable, type Figure } from '../figures';
import { countRecords, logFiles, missing } from '../records';
import { median } from '../stats';
import type { CaseContext, CaseOutcome } from './context';

const AVERAGE_LINE_BYTES = 280;

interface Run {
  recordsPerSecond: number;
  written: number;
  lost: number;
  files: number;
  other: number;
}

/**
 * Writers started together on one file; returns aggregate records/s from the common start to the
 * last writer's end, and what the files hold: every id of every writer, each once.
 */
async function writeTogether(ctx: CaseContext, label: string, writers: number, each: number): Promise<Run> {
  const dir = fs.mkdtempSync(path.join(ctx.tmp, `jsonl-${label}-`));
  const file = path.join(dir, 'guard.jsonl');
  const maxBytes = ctx.sizes.jsonlMaxBytes;
  // Enough rotated files to keep everything: nothing may be rotated out, so every line can be counted.
  const backups = Math.ceil((writers * each * AVERAGE_LINE_BYTES) / maxBytes) + 8;
  const startAt = Date.now() + 300 + 100 * writers;
  const names = Array.from({ length: writers }, (_, i) => `w${i}`);
  const results: ScenarioResult[] = await Promise.all(
    names.map((name) =>
      runScenario(
        'jsonl-writer',
        [file, name, String(each), String(maxBytes), String(backups), String(startAt)],
        { env: ctx.env },
      ),
    ),
  );
  const start = Math.min(...results.map((r) => Number(r.facts.start)));
  const finish = Math.max(...results.map((r) => Number(r.facts.finish)));
  const files = logFiles(file, backups);
  const count = countRecords(files);
  const lost = names.reduce((sum, name) => sum + missing(count.ids, name, each), 0);
  const duplicates = count.lines - count.other - count.ids.size;
  fs.rmSync(dir, { recursive: true, force: true });
  if (results.some((r) => r.facts.flushedOk !== true)) throw new Error(`${label}: a flush() resolved false`);
  if (duplicates > 0) throw new Error(`${label}: ${duplicates} duplicate lines`);
  return {
    recordsPerSecond: (writers * each) / ((finish - start) / 1000),
    written: count.ids.size,
    lost,
    files: files.length,
    other: count.other,
  };
}

/** JSONL writer throughput: one process, then four at once on the same file, with rotation. */
export async function jsonlCase(ctx: CaseContext): Promise<CaseOutcome> {
  const { sizes } = ctx;
  const single: Run[] = [];
  const four: Run[] = [];
  for (let repeat = 0; repeat < sizes.jsonlRepeats; repeat++) {
    single.push(await writeTogether(ctx, 'one', 1, sizes.jsonlRecords));
    four.push(await writeTogether(ctx, 'four', 4, sizes.jsonlRecordsEach));
  }
  const figures: Figure[] = [];
  const rows: string[][] = [];
  for (const [label, runs, records] of [
    ['1 process', single, sizes.jsonlRecords],
    ['4 processes at once', four, 4 * sizes.jsonlRecordsEach],
  ] as const) {
    const rate = median(runs.map((run) => run.recordsPerSecond));
    const lost = runs.reduce((sum, run) => sum + run.lost, 0);
    rows.push([
      label,
      String(records),
      runs.map((run) => Math.round(run.recordsPerSecond / 1000)).join(' / '),
      String(Math.round(rate / 1000)),
      String(runs[0].files),
      String(lost),
      String(runs.reduce((sum, run) => sum + run.other, 0)),
    ]);
    figures.push(
      makeFigure({
        id: `jsonl/${label.startsWith('1') ? 1 : 4}`,
        figure: 'JSONL writer, sustained, with rotation',
        setup: label,
        value: rate,
        unit: 'records/s',
        measured: `${Math.round(rate / 1000)} k records/s, ${lost} lost`,
        target: { op: '>=', value: 500_000, text: '≥ 500,000 /s, zero lost' },
        lost,
      }),
    );
  }
  ctx.print(
    textTable(
      ['writers', 'records', 'k records/s per repeat', 'median k/s', 'files', 'lost', 'other lines'],
      rows,
    ),
  );
  ctx.print(
    `rotation at ${sizes.jsonlMaxBytes / 1024 / 1024} MB; every id counted over the file and its rotated files`,
  );
  return { figures, details: { single, four, maxBytes: sizes.jsonlMaxBytes } };
}
