import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Mode } from '../../src/app/types';
import { ROOT } from './guard';

export const FIXTURES = path.join(ROOT, 'test', 'fixtures');
const REGISTER = path.join(ROOT, 'build', 'esm', 'register.mjs');

export interface RegisteredAppOptions {
  /** Where the guard's JSONL goes; by default a temp file removed once the app has run. */
  logFile?: string;
  mode?: Mode;
  /** Modules to --import after the guard's register hook. */
  imports?: string[];
  env?: Record<string, string>;
  /** Keep the child's stderr (its process warnings) out of the test output. */
  quiet?: boolean;
}

/**
 * Runs a fixture app in a child process under `node --import …/register`, the way an ES module
 * app enables the guard, and returns what it printed (the fixtures print JSON).
 */
export function runRegisteredApp(app: string, args: string[], options: RegisteredAppOptions = {}): string {
  const imports = [REGISTER, ...(options.imports ?? [])].flatMap((file) => ['--import', file]);
  const tempDir = options.logFile ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'mima-esm-app-'));
  try {
    return execFileSync(process.execPath, [...imports, app, ...args], {
      encoding: 'utf8',
      ...(options.quiet && { stdio: ['ignore', 'pipe', 'pipe'] }),
      env: {
        ...process.env,
        MIMA_GUARD_MODE: options.mode ?? 'block',
        MIMA_GUARD_LOG_FILE: options.logFile ?? path.join(tempDir as string, 'log.jsonl'),
        ...options.env,
      },
    });
  } finally {
    if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
  }
}
