/**
 * The attested flag check in instructions per call, counted by valgrind's callgrind rather than
 * timed: a shared, noisy machine moves the micro bench's nanoseconds by a third from run to run,
 * instruction counts by a few percent. For comparing two builds of the wrapper, not a target.
 *
 *   node build/bench/instructions.js [calls]     (needs valgrind; about a minute per row)
 *
 * Per setup and variant, runs bench/scenarios/flag-calls.js with N and 2N calls under callgrind;
 * (Ir(2N) - Ir(N)) / N is the cost of one call with start-up, warm-up and compilation taken out.
 */
import { spawnSync } from 'node:child_process';
import { scenarioFile } from './child';

function instructions(setup: string, variant: string, calls: number): number {
  const child = spawnSync(
    'valgrind',
    [
      '--tool=callgrind',
      '--callgrind-out-file=/dev/null',
      '--smc-check=all-non-file',
      process.execPath,
      // No background compiler or GC threads: their work, counted too, varies from run to run.
      '--single-threaded',
      scenarioFile('flag-calls'),
      setup,
      variant,
      String(calls),
    ],
    { encoding: 'utf8', timeout: 600_000 },
  );
  const collected = /Collected : (\d+)/.exec(child.stderr ?? '');
  if (child.status !== 0 || !collected) {
    throw new Error(`callgrind run failed (${child.status}): ${child.error?.message ?? child.stderr}`);
  }
  return Number(collected[1]);
}

const calls = Number(process.argv[2] ?? 1_000_000);
console.log(`instructions per call, callgrind, (Ir(${2 * calls} calls) - Ir(${calls} calls)) / ${calls}`);
for (const setup of ['otel', 'none']) {
  const row = ['patched', 'original'].map((variant) => {
    const once = instructions(setup, variant, calls);
    const twice = instructions(setup, variant, 2 * calls);
    return `${variant} ${Math.round((twice - once) / calls)}`;
  });
  console.log(`${setup}: ${row.join(', ')}`);
}
