import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { satisfiesRange } from '../../src/app/version-range';
import type { ChildReport } from './child';
import { packageDir } from './install-dir';
import type { ConformanceRow, ModuleSystem } from './row';

const BUILD = path.resolve(__dirname, '..', '..');
const CHILD = path.join(__dirname, 'child.js');
const REGISTER: Record<ModuleSystem, string[]> = {
  cjs: ['--require', path.join(BUILD, 'src', 'register.js')],
  esm: ['--import', path.join(BUILD, 'esm', 'register.mjs')],
};

/** The installed copy's version and its engines.node, read from its package.json. */
export function installedPackage(
  row: ConformanceRow,
  installDir: string,
): { version: string; node?: string } {
  const dir = packageDir(row.module, installDir);
  if (!dir) throw new Error(`${row.module} is not installed in ${installDir}`);
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
    version: string;
    engines?: { node?: string };
  };
  return { version: json.version, node: json.engines?.node };
}

/** Why this Node cannot run the copy (its engines.node excludes it), or undefined. */
export function nodeSkipReason(row: ConformanceRow, installDir: string): string | undefined {
  const { version, node } = installedPackage(row, installDir);
  if (!node) return undefined;
  let fits: boolean;
  try {
    fits = satisfiesRange(process.versions.node, node);
  } catch {
    return undefined; // A range the subset cannot read: run it, and let the run say.
  }
  return fits ? undefined : `${row.module} ${version} declares node ${node}; this is ${process.version}`;
}

/**
 * Runs the contract for one row against the copy installed in `installDir`, in a child process
 * (the module system is process-wide: the register hook, require() or import). Its temp directory
 * (log file, HOME, TMPDIR) is removed afterwards.
 */
export async function runRow(
  row: ConformanceRow,
  installDir: string,
  system: ModuleSystem,
): Promise<ChildReport> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-conformance-'));
  try {
    const env = {
      ...process.env,
      HOME: workDir,
      TMPDIR: workDir,
      MIMA_GUARD_MODE: 'warn',
      MIMA_GUARD_LOG_FILE: path.join(workDir, 'guard_log.jsonl'),
      MIMA_DAEMON_SOCKET: path.join(workDir, 'daemon.sock'),
      AI_SDK_LOG_WARNINGS: 'false',
    };
    const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number }>(
      (resolve) => {
        execFile(
          process.execPath,
          [...REGISTER[system], CHILD, row.name, installDir, system, workDir],
          { env, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
          (error, out, err) =>
            resolve({ stdout: out, stderr: err, code: error ? Number(error.code ?? 1) : 0 }),
        );
      },
    );
    const line = stdout.trim().split('\n').pop() ?? '';
    if (code !== 0 || !line.startsWith('{')) {
      throw new Error(`${row.name} (${system}) child exited ${code}: ${stderr.slice(-2000)}`);
    }
    return JSON.parse(line) as ChildReport;
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}
