import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** build/test/helpers → the package root. */
export const ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'build', 'src', 'command', 'cli.js');
const APP = path.join(ROOT, 'test', 'fixtures', 'inventory', 'app');
/** The SDKs (and the provider package) the fixture app uses, linked from the repo's node_modules. */
const LINKED = [
  'openai',
  '@anthropic-ai/sdk',
  'ai',
  '@ai-sdk/openai',
  '@ai-sdk/provider',
  '@ai-sdk/provider-utils',
];

const dirs: string[] = [];

/** A copy of the fixture app in a temp dir, its SDKs and the guard linked into node_modules. */
export function inventoryProject(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-inventory-'));
  dirs.push(dir);
  fs.cpSync(APP, dir, { recursive: true });
  for (const name of [...LINKED, '@mima-governance/instrumentation-guard']) {
    const link = path.join(dir, 'node_modules', ...name.split('/'));
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(name.startsWith('@mima-governance') ? ROOT : path.join(ROOT, 'node_modules', name), link);
  }
  return dir;
}

/** Removes the projects made; in the test file's after() hook. */
export function removeInventoryProjects(): void {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** `mima-guard <args>` in a child, run in `cwd`. */
export function cli(cwd: string, args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export const installedVersion = (name: string) =>
  (
    JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
