import { runScenario, type RunOptions, type ScenarioResult } from '../child';
import type { Figure } from '../figures';
import type { Sizes } from '../options';

/** What every case gets from run.ts. */
export interface CaseContext {
  quick: boolean;
  sizes: Sizes;
  /** Temp dir of this run; removed at the end. */
  tmp: string;
  /** For every scenario process: BENCH_TMP_DIR, BENCH_PORT, the guard's paths inside tmp. */
  env: NodeJS.ProcessEnv;
  /** Prints a line of the case's detail output. */
  print(text?: string): void;
}

export interface CaseOutcome {
  figures: Figure[];
  /** The case's own figures and checks, for results.json. */
  details: Record<string, unknown>;
}

/**
 * Runs a scenario once per configuration per round, the configurations taking turns (the
 * starting one rotates), so a noisy stretch of a shared machine hits them all alike.
 */
export async function roundRobin(
  scenario: string,
  configs: readonly string[],
  rounds: number,
  options: RunOptions,
): Promise<Map<string, ScenarioResult[]>> {
  const results = new Map<string, ScenarioResult[]>(configs.map((config) => [config, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < configs.length; i++) {
      const config = configs[(round + i) % configs.length];
      results.get(config)?.push(await runScenario(scenario, [config], options));
    }
  }
  return results;
}

/** Per variant, the samples of every process concatenated (per-round samples stay in round order). */
export function merged(results: readonly ScenarioResult[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const result of results) {
    for (const [name, values] of Object.entries(result.samples)) (out[name] ??= []).push(...values);
  }
  return out;
}

export function sumFact(results: readonly ScenarioResult[], name: string): number {
  return results.reduce((sum, result) => sum + Number(result.facts[name] ?? 0), 0);
}

/** A fact as every process reported it, or each distinct value when they differ. */
export function fact(results: readonly ScenarioResult[], name: string): string {
  return [...new Set(results.map((result) => String(result.facts[name] ?? '-')))].join(' / ');
}
