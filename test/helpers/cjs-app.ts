import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './guard';

const REGISTER = path.join(ROOT, 'build', 'src', 'register.js');

/**
 * Writes `source` (less a leading newline, so that its lines count from the first) to
 * `<dir>/app.cjs` and runs it from `dir` under `node --require …/register.js`, the way a CommonJS
 * app enables the guard, with exactly `env`. `quiet` keeps the child's stderr out of the test output.
 */
export function runCjsApp(dir: string, source: string, env: NodeJS.ProcessEnv, { quiet = false } = {}): void {
  fs.writeFileSync(path.join(dir, 'app.cjs'), source.replace(/^\n/, ''));
  execFileSync(process.execPath, ['--require', REGISTER, 'app.cjs'], {
    cwd: dir,
    env,
    ...(quiet && { stdio: 'pipe' }),
  });
}
