import { spawn } from 'node:child_process';

/** What a scenario process prints as its last stdout line. */
export interface ScenarioResult {
  /** Measurements per variant, in the unit the scenario documents. */
  samples: Record<string, number[]>;
  /** Checks made along the way (patch active, store created, records written). */
  facts: Record<string, string | number | boolean>;
}

/** Scenario side: print the result for the parent. */
export function report(result: ScenarioResult): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** Scenario side: the numeric setting the parent passed through the environment. */
export function envNumber(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

/**
 * Parent side: runs one compiled scenario file in a fresh Node process. A fresh process per
 * run because an AsyncLocalStorage, once active, cannot be turned off again.
 */
export function runScenario(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<ScenarioResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const last = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last.startsWith('{')) {
        reject(new Error(`${file} ${args.join(' ')} exited with ${code}:\n${stderr}${stdout}`));
        return;
      }
      resolve(JSON.parse(last) as ScenarioResult);
    });
  });
}
