import * as fs from 'node:fs';
import * as path from 'node:path';
import { runScenario, scenarioFile, startService } from '../child';
import { makeFigure, textTable } from '../figures';
import { countRecords, logFiles, missing } from '../records';
import { median } from '../stats';
import type { CaseContext, CaseOutcome } from './context';

const CLIENTS = 4;

interface Run {
  recordsPerSecond: number;
  /** Records the clients' sinks handed to their fallback: not acknowledged. */
  notAcked: number;
  /** Ids missing from the daemon's log. */
  notInLog: number;
  batches: number;
  rejected: number;
}

async function once(ctx: CaseContext, repeat: number): Promise<Run> {
  const dir = fs.mkdtempSync(path.join(ctx.tmp, `daemon-${repeat}-`));
  const socket = path.join(dir, 'daemon.sock');
  const log = path.join(dir, 'daemon_log.jsonl');
  const each = ctx.sizes.daemonRecordsEach;
  const daemon = await startService(scenarioFile('daemon-server'), [socket, log], ctx.env);
  let stats: Record<string, unknown> = {};
  try {
    const startAt = Date.now() + 300 + 100 * CLIENTS;
    const names = Array.from({ length: CLIENTS }, (_, i) => `d${i}`);
    const results = await Promise.all(
      names.map((name) =>
        runScenario('daemon-client', [socket, name, String(each), String(startAt)], { env: ctx.env }),
      ),
    );
    const start = Math.min(...results.map((r) => Number(r.facts.start)));
    const finish = Math.max(...results.map((r) => Number(r.facts.finish)));
    stats = (await daemon.stop()).facts as Record<string, unknown>;
    const count = countRecords(logFiles(log, 1));
    const notInLog = names.reduce((sum, name) => sum + missing(count.ids, name, each), 0);
    return {
      recordsPerSecond: (CLIENTS * each) / ((finish - start) / 1000),
      notAcked: results.reduce((sum, r) => sum + Number(r.facts.handedOver), 0),
      notInLog,
      batches: Number(stats.accepted),
      rejected: Number(stats.rejected),
    };
  } finally {
    daemon.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The daemon (its own process) taking records from four client processes at once. */
export async function daemonCase(ctx: CaseContext): Promise<CaseOutcome> {
  const runs: Run[] = [];
  for (let repeat = 0; repeat < ctx.sizes.daemonRepeats; repeat++) runs.push(await once(ctx, repeat));
  const rate = median(runs.map((run) => run.recordsPerSecond));
  const lost = runs.reduce((sum, run) => sum + run.notAcked + run.notInLog, 0);
  const records = CLIENTS * ctx.sizes.daemonRecordsEach;
  ctx.print(
    textTable(
      ['repeat', 'records', 'k acked/s', 'batches acked', 'rejected lines', 'not acked', 'not in log'],
      runs.map((run, i) => [
        String(i + 1),
        String(records),
        String(Math.round(run.recordsPerSecond / 1000)),
        String(run.batches),
        String(run.rejected),
        String(run.notAcked),
        String(run.notInLog),
      ]),
    ),
  );
  return {
    figures: [
      makeFigure({
        id: 'daemon/4',
        figure: 'daemon: acknowledged records/s',
        setup: `${CLIENTS} client processes`,
        value: rate,
        unit: 'records/s',
        measured: `${Math.round(rate / 1000)} k records/s, ${lost} lost`,
        target: { op: '>=', value: 300_000, text: '≥ 300,000 /s, zero lost' },
        lost,
      }),
    ],
    details: { runs, recordsPerRun: records },
  };
}
