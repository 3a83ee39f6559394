import * as fs from 'node:fs';
import * as path from 'node:path';
import { addSdkDirectory } from './call-location';

type RequireCache = Record<string, { exports: unknown } | undefined>;

const NODE_MODULES = `${path.sep}node_modules${path.sep}`;

/**
 * A hooked package's directory (the base class's package.json lookup). Frames under node_modules
 * are skipped anyway; one elsewhere (a workspace link, an SDK run from its own repository) is
 * remembered, so that the SDK's own frames are not taken for the caller.
 */
export function noteSdkDirectory(baseDir: unknown): void {
  if (typeof baseDir === 'string' && !`${baseDir}${path.sep}`.includes(NODE_MODULES))
    addSdkDirectory(baseDir);
}

/**
 * The directory of a module object given in config.modules, where the CommonJS cache holds it:
 * the package root above its file (the nearest package.json named `module`). Runs once per
 * enable, never on a call. Not found (a bundle, an ES module, a test runner's own registry):
 * nothing is noted.
 */
export function noteManualSdkDirectory(
  module: string,
  moduleExports: unknown,
  cache: RequireCache = require.cache,
): void {
  if (moduleExports === null || (typeof moduleExports !== 'object' && typeof moduleExports !== 'function'))
    return;
  try {
    const file = Object.keys(cache).find((name) => cache[name]?.exports === moduleExports);
    if (file === undefined || file.includes(NODE_MODULES)) return;
    for (let dir = path.dirname(file), depth = 0; depth < 8; dir = path.dirname(dir), depth++) {
      const manifest = path.join(dir, 'package.json');
      if (fs.existsSync(manifest)) {
        const name: unknown = JSON.parse(fs.readFileSync(manifest, 'utf8')).name;
        if (name === module) {
          addSdkDirectory(dir);
          return;
        }
      }
      if (path.dirname(dir) === dir) return;
    }
  } catch {
    // An unreadable manifest: the location may name an SDK frame, the call is checked all the same.
  }
}
