/**
 * The in-process rows, timed with tinybench (bench/micro.ts), ns per call. Argument: the setup,
 * 'otel' or 'none' (bench/setup.ts).
 * - flag check: the patched chokepoint on the attested path against the unpatched original;
 * - attest(): a call through attest(fn) against fn() itself;
 * - unattested, report mode: the patched chokepoint outside attest(), which builds the record with
 *   its code location and queues it. The JSONL queue is flushed after every timed batch, outside
 *   the timing; every call's line is counted at the end.
 */
import * as fs from 'node:fs';
import { attest, disableGuard, withAttested } from '../../src';
import { ownStoreCreated } from '../../src/app/attestation';
import { activeGuard } from '../../src/app/guard';
import { envNumber, report, runMain } from '../child';
import { microRounds, type MicroTask } from '../micro';
import { applySetup, enableBenchGuard, guardLogFile, parseSetup } from '../setup';
import { originalLoop, PatchedStandInClient, patchedLoop, StandInClient, unattestedLoop } from '../stand-in';

const work = () => 1;
const attestedWork = attest(work);

// Separate loops, so each call site only ever sees one function.
function plainLoop(n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += work();
  return sum;
}

function attestedLoop(n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += attestedWork();
  return sum;
}

runMain(async () => {
  const setup = parseSetup(process.argv[2]);
  applySetup(setup);
  enableBenchGuard('report');
  // Without a context manager the first attest() creates the guard's own store for good; it is
  // created here, so that every task runs with it.
  withAttested(() => undefined);
  const jsonl = activeGuard()?.reporting.jsonl;
  if (!jsonl) throw new Error('the guard is not enabled');

  const batch = 1000;
  const unattestedBatch = 100;
  const original = new StandInClient();
  const patched = new PatchedStandInClient();
  let unattestedCalls = 0;
  const tasks: MicroTask[] = [
    { name: 'original', batch, run: () => originalLoop(original, batch) },
    { name: 'patched, attested', batch, run: () => withAttested(() => patchedLoop(patched, batch)) },
    { name: 'fn()', batch, run: () => plainLoop(batch) },
    { name: 'attest(fn)()', batch, run: () => attestedLoop(batch) },
    {
      name: 'patched, unattested (report mode)',
      batch: unattestedBatch,
      run: () => {
        unattestedCalls += unattestedBatch;
        return unattestedLoop(patched, unattestedBatch);
      },
      after: () => jsonl.flush(),
    },
  ];
  const samples = await microRounds(tasks, {
    rounds: envNumber('BENCH_MICRO_ROUNDS', 10),
    timeMs: envNumber('BENCH_MICRO_TIME_MS', 100),
    warmupMs: envNumber('BENCH_MICRO_WARMUP_MS', 50),
  });

  const file = guardLogFile();
  await disableGuard(); // flushes the JSONL report
  const records = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0;
  report({
    samples,
    facts: { records, unattestedCalls, ownStoreCreated: ownStoreCreated() },
  });
});
