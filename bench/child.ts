import { spawn } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';

/** What a scenario process prints as its last stdout line. */
export interface ScenarioResult {
  /** Measurements per variant, in the unit the scenario documents: one entry per round, or raw samples. */
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

/** Scenario side: a setting the parent must have passed. */
export function envString(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; run the scenarios through bench/run.ts`);
  return value;
}

/** Scenario side: runs main and turns any error into exit code 1 with the error on stderr. */
export function runMain(main: () => Promise<void> | void): void {
  Promise.resolve()
    .then(main)
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}

/** The compiled scenario file, build/bench/scenarios/<name>.js. */
export function scenarioFile(name: string): string {
  return path.join(__dirname, 'scenarios', `${name}.js`);
}

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  /** Flags for node itself, before the file (--expose-gc). */
  nodeArgs?: string[];
  /** Killed (and failed) past this. Default 180 s. */
  timeoutMs?: number;
}

/**
 * Parent side: runs one compiled scenario in a fresh Node process and parses its last stdout
 * line. A fresh process per run because an AsyncLocalStorage, once active, stays active, and so
 * does a registered context manager or instrumentation. Rejects on a non-zero exit, a missing
 * result, or the timeout: the bench run then fails.
 */
export function runScenario(name: string, args: string[], options: RunOptions): Promise<ScenarioResult> {
  const file = scenarioFile(name);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), file, ...args], {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${options.timeoutMs ?? 180_000} ms)`;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 180_000);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last.startsWith('{')) {
        reject(
          new Error(`scenario ${name} ${args.join(' ')} exited with ${code ?? signal}:\n${stderr}${stdout}`),
        );
        return;
      }
      resolve(JSON.parse(last) as ScenarioResult);
    });
  });
}

/** A long-running helper process: the loopback server, the daemon. */
export interface Service {
  /** Its first stdout line, printed once it is ready (a port, a flag). */
  ready: Record<string, unknown>;
  /** Ends its stdin, which tells it to stop; resolves with its last stdout line (its counts). */
  stop(): Promise<Record<string, unknown>>;
  /** Kills it, if it still runs (after a failure elsewhere). */
  kill(): void;
}

/** Starts `node file ...args` and waits for its first JSON line. stderr goes to the bench's. */
export async function startService(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<Service> {
  const child = spawn(process.execPath, [file, ...args], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`${path.basename(file)} ended without a result (exit ${child.exitCode})`);
    return JSON.parse(value as string) as Record<string, unknown>;
  };
  const ready = await next();
  return {
    ready,
    stop: async () => {
      child.stdin.end();
      const last = await next();
      if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
      if (child.exitCode !== 0) throw new Error(`${path.basename(file)} exited with ${child.exitCode}`);
      return last;
    },
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
