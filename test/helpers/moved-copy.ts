import * as fs from 'node:fs';
import * as path from 'node:path';
import { captureDiag } from './diag';
import { useGuard } from './guard';
import { tempDir as makeTempDir } from './temp-dir';

/**
 * Writes a fake copy of an SDK whose `files` hold the given source, as a later release that
 * moved its patch point would look, and requires it with the guard on. Returns its exports and
 * the diag messages that name its version.
 */
export async function requireMovedCopy(
  pkg: string,
  version: string,
  files: Record<string, string>,
): Promise<{ exports: unknown; warnings: string[] }> {
  const dir = path.join(makeTempDir('mima-moved-'), 'node_modules', pkg);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: pkg, version, main: 'index.js' }));
  for (const [file, source] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), source);
  useGuard();
  let exports: unknown;
  const messages = await captureDiag(() => {
    exports = require(path.join(dir, 'index.js'));
  });
  return { exports, warnings: messages.filter((m) => m.includes(version)) };
}
