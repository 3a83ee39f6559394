/**
 * Memory, with --expose-gc; heap sizes are read after full collections. Arguments:
 * - 'attested' and a setup ('otel' | 'none'): heap growth over `BENCH_MEMORY_CALLS` calls of an
 *   attest()-wrapped function that calls the patched chokepoint (after a warm-up);
 * - 'queued': heap bytes per record held in the JSONL queue: the guard in report mode with a log
 *   path under a regular file (ENOTDIR: it can never be written), so every unattested call's
 *   record stays queued.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { attest } from '../../src';
import { activeGuard } from '../../src/app/guard';
import { envNumber, envString, report, runMain } from '../child';
import { applySetup, enableBenchGuard, parseSetup } from '../setup';
import { PatchedStandInClient, patchedLoop, unattestedLoop } from '../stand-in';

const gc = (globalThis as { gc?: () => void }).gc;

function heapAfterGc(): number {
  if (!gc) throw new Error('run with --expose-gc');
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function attestedGrowth(calls: number): Promise<Record<string, number>> {
  enableBenchGuard('report');
  const client = new PatchedStandInClient();
  const call = attest(() => patchedLoop(client, 1));
  let sum = 0;
  for (let i = 0; i < 100_000; i++) sum += call(); // warm-up: JIT, inline caches
  const before = heapAfterGc();
  for (let i = 0; i < calls; i++) sum += call();
  const after = heapAfterGc();
  if (sum <= 0) throw new Error('no calls made');
  return { calls, before, after, growth: after - before };
}

async function queuedBytes(records: number): Promise<Record<string, number>> {
  const blocker = path.join(envString('BENCH_TMP_DIR'), `not-a-dir-${process.pid}`);
  fs.writeFileSync(blocker, '');
  const warmup = 1_000;
  enableBenchGuard('report', {
    logFile: path.join(blocker, 'guard.jsonl'),
    maxQueuedRecords: records + warmup + 100,
  });
  const jsonl = activeGuard()?.reporting.jsonl;
  if (!jsonl) throw new Error('the guard is not enabled');
  // The sink's queue is private; the bench reads its length to prove the records are all held.
  const queued = () => (jsonl as unknown as { queue: string[] }).queue.length;
  const client = new PatchedStandInClient();
  for (let i = 0; i < warmup; i += 100) unattestedLoop(client, 100);
  // The records are finished in a job after each call (pending-records): let them reach the sink.
  await new Promise<void>((resolve) => setImmediate(resolve));
  if ((await jsonl.flush()) !== false) throw new Error('the JSONL file was writable');
  const before = heapAfterGc();
  const queuedBefore = queued();
  for (let i = 0; i < records; i += 100) unattestedLoop(client, 100);
  await sleep(10); // the batch's write attempt fails and puts its lines back in the queue
  const after = heapAfterGc();
  const held = queued() - queuedBefore;
  return { records, held, before, after, bytesPerRecord: (after - before) / records };
}

runMain(async () => {
  const [kind, setupArg] = process.argv.slice(2);
  let facts: Record<string, number>;
  if (kind === 'attested') {
    applySetup(parseSetup(setupArg));
    facts = await attestedGrowth(envNumber('BENCH_MEMORY_CALLS', 1_000_000));
  } else if (kind === 'queued') {
    facts = await queuedBytes(envNumber('BENCH_MEMORY_QUEUED', 100_000));
  } else {
    throw new Error(`unknown memory scenario ${kind}`);
  }
  report({ samples: {}, facts });
});
