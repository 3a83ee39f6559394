/**
 * The guard's side of the Jest loader hook (jest-loader-hook.ts), inside a test file's sandbox: a
 * module that just loaded into Jest's registry is matched against the instrumentation's module
 * definitions and patched as require-in-the-middle / import-in-the-middle would patch it under
 * Node: the patch-point files by their path in the package, the package's entry when it was
 * required by its bare name (CommonJS) or is the package's `import` entry (ES modules).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { InstrumentationModuleDefinition } from '@opentelemetry/instrumentation';
import { guardLog } from '../safe-log';
import { noteSdkDirectory } from '../sdk-directory';
import { SDK_DEFINITIONS } from '../sdks';
import { satisfiesRange } from '../version-range';
import { warnGuardProblem } from '../warnings';
import type { SandboxHandler } from './jest-loader-hook';

interface PackageFile {
  definition: InstrumentationModuleDefinition;
  baseDir: string;
  /** The file's path inside the package, with `/`. */
  relative: string;
}

interface PackageJson {
  name?: unknown;
  version?: unknown;
  main?: unknown;
  exports?: unknown;
}

/** Node's conditions for an `import` in Jest's node environment. */
const IMPORT_CONDITIONS = new Set(['import', 'node', 'node-addons', 'default']);

function readPackage(baseDir: string): PackageJson {
  try {
    return JSON.parse(fs.readFileSync(path.join(baseDir, 'package.json'), 'utf8')) as PackageJson;
  } catch {
    return {};
  }
}

/** The target an `exports` entry picks under the conditions: the first matching key, in order. */
function conditionalTarget(target: unknown): string | undefined {
  if (typeof target === 'string') return target;
  if (Array.isArray(target)) {
    for (const item of target) {
      const found = conditionalTarget(item);
      if (found) return found;
    }
    return undefined;
  }
  if (typeof target !== 'object' || target === null) return undefined;
  for (const [condition, value] of Object.entries(target)) {
    if (!IMPORT_CONDITIONS.has(condition)) continue;
    const found = conditionalTarget(value);
    if (found) return found;
  }
  return undefined;
}

/** The file `import '<package>'` loads, relative to the package, from its package.json. */
export function importEntryOf(pkg: PackageJson): string | undefined {
  const exports = pkg.exports;
  if (exports !== undefined) {
    const root =
      typeof exports === 'object' && exports !== null && !Array.isArray(exports) && '.' in exports
        ? (exports as Record<string, unknown>)['.']
        : exports;
    const target = conditionalTarget(root);
    return target ? path.posix.normalize(target) : undefined;
  }
  return path.posix.normalize(typeof pkg.main === 'string' ? pkg.main : 'index.js');
}

/** The published file a source file of the SDK's repository becomes: `src/a/b.ts` → `a/b.js`. */
export function publishedPathOf(relative: string): string {
  return relative
    .replace(/^src\//, '')
    .replace(/\.(c|m)?tsx?$/, (_, kind: string | undefined) => `.${kind ?? ''}js`);
}

/**
 * The package a file outside node_modules belongs to: the nearest package.json above it that
 * has a name. Directories are read once (`packageOf` caches).
 */
function sourceRootOf(
  filename: string,
  packageOf: (dir: string) => PackageJson,
): { name: string; baseDir: string } | undefined {
  for (let dir = path.dirname(filename); ; dir = path.dirname(dir)) {
    const { name } = packageOf(dir);
    if (typeof name === 'string') return { name, baseDir: dir };
    if (path.dirname(dir) === dir) return undefined;
  }
}

function supports(ranges: string[], version: string | undefined, includePrerelease?: boolean): boolean {
  if (version === undefined) return ranges.includes('*');
  return ranges.some((range) => range === '*' || satisfiesRange(version, range, { includePrerelease }));
}

/**
 * The patching of files as Jest loads them, for the given module definitions (the SDKs').
 * Packages are read once per directory.
 */
export function createSandboxHandler(
  definitions: InstrumentationModuleDefinition[],
  teardown: () => void,
): SandboxHandler {
  const packages = new Map<string, PackageJson>();
  const packageOf = (baseDir: string) => {
    let pkg = packages.get(baseDir);
    if (!pkg) packages.set(baseDir, (pkg = readPackage(baseDir)));
    return pkg;
  };
  const replacesExports = new Set(
    SDK_DEFINITIONS.filter((sdk) =>
      sdk.patchPoints.some((point) => point.inEntryModule && point.replaceExports),
    ).map((sdk) => sdk.module),
  );
  const markers = definitions.map(
    (definition) =>
      [
        definition,
        `${path.sep}node_modules${path.sep}${definition.name.split('/').join(path.sep)}${path.sep}`,
      ] as const,
  );

  const installedFileOf = (filename: string): PackageFile | undefined => {
    for (const [definition, marker] of markers) {
      const at = filename.lastIndexOf(marker);
      if (at < 0) continue;
      const baseDir = filename.slice(0, at + marker.length - 1);
      const relative = filename
        .slice(baseDir.length + 1)
        .split(path.sep)
        .join('/');
      return { definition, baseDir, relative };
    }
    return undefined;
  };

  // An SDK's own repository maps the package name to its sources (moduleNameMapper):
  // `<package root>/src/client.ts` is the published `client.js`.
  const byName = new Map(definitions.map((definition) => [definition.name, definition]));
  // An app merely named like an SDK is not one: the version must be one the SDK's definition supports.
  const sdkRanges = new Map(SDK_DEFINITIONS.map((sdk) => [sdk.module, sdk.supportedVersions]));
  const sourceFileOf = (filename: string): PackageFile | undefined => {
    const root = sourceRootOf(filename, packageOf);
    const definition = root && byName.get(root.name);
    if (!root || !definition) return undefined;
    const { version } = packageOf(root.baseDir);
    const range = sdkRanges.get(root.name);
    if (typeof version !== 'string' || !range || !satisfiesRange(version, range)) return undefined;
    const inRepository = path.relative(root.baseDir, filename).split(path.sep).join('/');
    // The sources' frames are not the caller's; the repository's own tests, beside src/, are.
    if (inRepository.startsWith('src/')) noteSdkDirectory(path.join(root.baseDir, 'src'));
    return { definition, baseDir: root.baseDir, relative: publishedPathOf(inRepository) };
  };

  const fileOf = (filename: string): PackageFile | undefined =>
    filename.includes(`${path.sep}node_modules${path.sep}`)
      ? installedFileOf(filename)
      : sourceFileOf(filename);

  /** The patch-point file hooks; then, for the entry, the package hook (which may hand back a stand-in). */
  const patch = (file: PackageFile, exports: unknown, isEntry: boolean, esm: boolean): unknown => {
    const { definition } = file;
    const version =
      typeof packageOf(file.baseDir).version === 'string'
        ? (packageOf(file.baseDir).version as string)
        : undefined;
    const name = `${definition.name}/${file.relative}`;
    for (const hook of definition.files) {
      if (hook.name !== name || !supports(hook.supportedVersions, version, definition.includePrerelease))
        continue;
      hook.moduleExports = exports;
      hook.patch(exports, version);
    }
    if (!isEntry || !definition.patch || !supports(definition.supportedVersions, version)) return exports;
    if (esm && replacesExports.has(definition.name)) {
      // An ES module's bindings cannot be swapped for the stand-in the entry hook makes: its
      // functions stay unwrapped, and the stand-in is not patched, so no status claims it is.
      warnGuardProblem(
        'MIMA_GUARD_JEST_ESM_UNPATCHED',
        `${definition.name} ${version ?? ''} loaded as an ES module in Jest's ES module mode exports functions ` +
          `the guard cannot wrap there: its calls are not checked. Let the tests load its CommonJS build ` +
          `(without --experimental-vm-modules), or run them with mocha, node --test or Vitest and register`,
      );
      return exports;
    }
    definition.moduleExports = exports;
    definition.moduleVersion = version;
    const entry: unknown = definition.patch(exports, version);
    return entry;
  };

  const seen = new WeakSet<object>();
  return {
    commonjs(filename, specifier, exports) {
      const file = fileOf(filename);
      if (!file) return exports;
      try {
        return patch(file, exports, specifier === file.definition.name, false);
      } catch (error) {
        guardLog.error(`could not patch ${filename} in Jest's module registry`, error);
        return exports;
      }
    },
    esModules(modules) {
      for (const candidate of modules) {
        const module = candidate as { identifier?: unknown; status?: unknown; namespace?: unknown };
        if (typeof candidate !== 'object' || candidate === null || seen.has(candidate)) continue;
        if (module.status !== 'evaluated' || typeof module.identifier !== 'string') continue;
        seen.add(candidate);
        const file = fileOf(module.identifier);
        if (!file) continue;
        try {
          const isEntry = importEntryOf(packageOf(file.baseDir)) === file.relative;
          patch(file, module.namespace, isEntry, true);
        } catch (error) {
          guardLog.error(`could not patch ${module.identifier} in Jest's module registry`, error);
        }
      }
    },
    teardown,
  };
}
