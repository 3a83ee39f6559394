import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DetectionRecord } from '../../src/app/types';
/** build/test/helpers → the package root. */
const ROOT = path.resolve(__dirname, '..', '..', '..');
export const CLI = path.join(ROOT, 'build', 'src', 'command', 'cli.js');

/** Temp dirs made by a test file; removeTempDirs() in its after() hook. */
const made: string[] = [];

export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-report-'));
  made.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * `mima-guard report` in a child with HOME set to `home` and none of the variables that would
 * point it elsewhere. `nodeArgs` go before the script (e.g. --max-old-space-size).
 */
export function runReport(args: string[], home: string, nodeArgs: string[] = []) {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
  for (const name of ['MIMA_GUARD_LOG_FILE', 'MIMA_DAEMON_LOG_FILE', 'MIMA_DAEMON_SOCKET']) delete env[name];
  const result = spawnSync(process.execPath, [...nodeArgs, CLI, 'report', ...args], {
    env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, signal: result.signal };
}

export function record(overrides: Partial<DetectionRecord> = {}): DetectionRecord {
  return {
    ts: '2026-11-20T09:00:00.000Z',
    call_site: 'openai.OpenAI.chat',
    attested: false,
    mode: 'report',
    blocked: false,
    code_file: 'src/app.js',
    code_line: 12,
    workspace_id: null,
    pid: 1,
    id: `id-${Math.random()}`,
    ...overrides,
  };
}

export function writeLog(file: string, lines: object[]): void {
  fs.writeFileSync(file, lines.map((line) => JSON.stringify(line) + '\n').join(''));
}
