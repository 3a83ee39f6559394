/**
 * `register` loaded after the app already required an AI SDK: the module hooks only see loads
 * that come after them, so the SDK's CommonJS copy in require.cache is patched here, by running
 * the same file and entry hooks on it, and one diag warning names the SDK and the fix.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { InstrumentationModuleDefinition } from '@opentelemetry/instrumentation';
import { guardLog } from './safe-log';
import { PACKAGE_NAME } from './version';
import { satisfiesRange } from './version-range';

const log = guardLog;

/** One installed copy of an SDK with files in require.cache. */
export interface PreloadedSdk {
  module: string;
  /** The package directory, `<root>/node_modules/<module>`. */
  baseDir: string;
  /** The directory whose node_modules holds it. */
  root: string;
  version: string | undefined;
}

interface CachedModule {
  exports: unknown;
}

type RequireCache = Record<string, CachedModule | undefined>;

/** The copies of the given SDKs whose files are in the CommonJS module cache. */
export function preloadedSdks(modules: string[], cache: RequireCache = require.cache): PreloadedSdk[] {
  const found = new Map<string, PreloadedSdk>();
  const files = Object.keys(cache);
  for (const module of modules) {
    const marker = `${path.sep}node_modules${path.sep}${module.split('/').join(path.sep)}${path.sep}`;
    for (const file of files) {
      const at = file.lastIndexOf(marker);
      if (at < 0) continue;
      const baseDir = file.slice(0, at + marker.length - 1);
      if (found.has(baseDir)) continue;
      found.set(baseDir, { module, baseDir, root: file.slice(0, at), version: packageVersion(baseDir) });
    }
  }
  return [...found.values()];
}

function packageVersion(baseDir: string): string | undefined {
  try {
    const version: unknown = JSON.parse(fs.readFileSync(path.join(baseDir, 'package.json'), 'utf8')).version;
    return typeof version === 'string' ? version : undefined;
  } catch {
    return undefined;
  }
}

function supports(ranges: string[], version: string | undefined, includePrerelease?: boolean): boolean {
  if (version === undefined) return ranges.includes('*');
  return ranges.some((range) => satisfiesRange(version, range, { includePrerelease }));
}

/**
 * Runs the instrumentation's hooks on an SDK copy that was required before they were registered,
 * as require-in-the-middle would have on its first load: the patch-point files first, then the
 * entry module (a stand-in for its exports, if the entry hook makes one, is what later requires get).
 */
function patchCachedCopy(
  definition: InstrumentationModuleDefinition,
  sdk: PreloadedSdk,
  cache: RequireCache,
): void {
  for (const file of definition.files) {
    const cached = cache[path.join(sdk.baseDir, file.name.slice(definition.name.length + 1))];
    if (!cached || !supports(file.supportedVersions, sdk.version, definition.includePrerelease)) continue;
    file.moduleExports = cached.exports;
    file.patch(cached.exports, sdk.version);
  }
  let entryFile: string;
  try {
    entryFile = require.resolve(definition.name, { paths: [sdk.root] });
  } catch {
    return;
  }
  const entry = cache[entryFile];
  if (!entry || !definition.patch || !supports(definition.supportedVersions, sdk.version)) return;
  definition.moduleExports = entry.exports;
  definition.moduleVersion = sdk.version;
  entry.exports = definition.patch(entry.exports, sdk.version);
}

/**
 * Patches the SDKs the app required before the guard's hooks were registered, and says so in one
 * diag warning. Returns the SDK copies found (none when the guard was loaded first).
 */
export function patchPreloadedSdks(
  definitions: InstrumentationModuleDefinition[],
  cache: RequireCache = require.cache,
): PreloadedSdk[] {
  const sdks = preloadedSdks(
    definitions.map((definition) => definition.name),
    cache,
  );
  if (sdks.length === 0) return sdks;
  for (const sdk of sdks) {
    const definition = definitions.find((d) => d.name === sdk.module);
    if (!definition) continue;
    try {
      patchCachedCopy(definition, sdk, cache);
    } catch (error) {
      log.error(`could not patch ${sdk.module} loaded before ${PACKAGE_NAME}/register`, error);
    }
  }
  const names = [...new Set(sdks.map((sdk) => sdk.module))];
  const loaded = sdks.map((sdk) => `${sdk.module} ${sdk.version ?? '(unknown version)'}`).join(', ');
  const modules = names.map((name) => (/^[A-Za-z_$][\w$]*$/.test(name) ? name : `'${name}': …`)).join(', ');
  log.warn(
    `register ran after the app loaded ${loaded}: its CommonJS copy is patched now, but an ES module ` +
      `copy imported before the guard can be neither seen nor patched. Load the guard first ` +
      `(node --import ${PACKAGE_NAME}/register, or --require), or pass the module: ` +
      `enableGuard({ modules: { ${modules} } })`,
  );
  return sdks;
}
