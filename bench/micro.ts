import { Bench } from 'tinybench';

export interface MicroTask {
  name: string;
  /** Calls one run() makes. */
  batch: number;
  /** Makes `batch` calls and returns something derived from them, so V8 cannot drop the work. */
  run: () => number;
  /** Runs after each timed batch, outside the timing (the report-mode task flushes its queue here). */
  after?: () => Promise<unknown>;
}

export interface MicroOptions {
  rounds: number;
  /** tinybench time budget per task and round, ms of measured time. */
  timeMs: number;
  warmupMs: number;
}

let blackhole = 0;

/**
 * tinybench, in rounds: each round is a fresh Bench with the tasks in a rotated order, so a busy
 * moment of a shared machine lands on every task alike. Each tinybench iteration times one batch
 * of calls and reports the batch time divided by its size (overriddenDuration), so the ~50 ns of a
 * timer read is spread over the batch. Returns, per task, the median ns per call of each round.
 */
export async function microRounds(
  tasks: MicroTask[],
  options: MicroOptions,
): Promise<Record<string, number[]>> {
  const perRound: Record<string, number[]> = Object.fromEntries(tasks.map((task) => [task.name, []]));
  for (let round = 0; round < options.rounds; round++) {
    const bench = new Bench({
      time: options.timeMs,
      warmupTime: options.warmupMs,
      iterations: 8,
      warmupIterations: 4,
      throws: true,
    });
    for (let i = 0; i < tasks.length; i++) {
      const task = tasks[(round + i) % tasks.length];
      const timed = () => {
        const start = bench.now();
        blackhole ^= task.run();
        const elapsed = bench.now() - start;
        return { overriddenDuration: elapsed / task.batch, overriddenIterationCost: elapsed };
      };
      const after = task.after;
      if (after) {
        bench.add(task.name, async () => {
          const result = timed();
          await after();
          return result;
        });
      } else {
        bench.add(task.name, timed);
      }
    }
    await bench.run();
    for (const task of bench.tasks) {
      const result = task.result;
      if (result.state !== 'completed') {
        throw new Error(`tinybench task ${task.name}: ${result.state}`, {
          cause: 'error' in result ? result.error : undefined,
        });
      }
      perRound[task.name].push(result.latency.p50 * 1e6);
    }
  }
  if (blackhole === 0.5) console.log('unreachable');
  return perRound;
}
