import { spawn } from 'node:child_process';

export interface ChildEnvOptions {
  /**
   * Keep NODE_V8_COVERAGE: for a child that runs build/src itself, whose coverage counts. By
   * default it is dropped: coverage is measured on build/src, and such children run another copy
   * (the guard installed into a fixture project, a bundle) or a test runner.
   */
  keepCoverage?: boolean;
  /** Other prefixes whose variables no child may inherit (the `MIMA_` ones never are). */
  dropPrefixes?: string[];
}

/**
 * The environment for a child process that sets the guard up itself: this process's, without any
 * `MIMA_` variable (nothing inherited points the guard elsewhere), then `extra`.
 */
export function childEnv(extra: NodeJS.ProcessEnv = {}, options: ChildEnvOptions = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (!options.keepCoverage) delete env.NODE_V8_COVERAGE;
  const prefixes = ['MIMA_', ...(options.dropPrefixes ?? [])];
  for (const name of Object.keys(env))
    if (prefixes.some((prefix) => name.startsWith(prefix))) delete env[name];
  return { ...env, ...extra };
}

export interface NodeRun {
  status: number | null;
  /** The child's own process (a warning printed by a worker of it carries another pid). */
  pid: number | undefined;
  /** stdout and stderr as they came, interleaved. */
  output: string;
}

/** Runs `node <args>` in `cwd` with exactly `env` (see childEnv) until its streams close. */
export function runNode(
  args: string[],
  { cwd, env }: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<NodeRun> {
  const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, pid: child.pid, output }));
  });
}
