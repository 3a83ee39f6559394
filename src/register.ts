/**
 * One-line set-up, for ES module and CommonJS apps alike:
 *   node --import @mima-governance/instrumentation-guard/register app.mjs
 *   node --require @mima-governance/instrumentation-guard/register app.js
 * Registers the import-in-the-middle loader for the SDK files the guard patches only (other
 * modules load untouched, so start-up stays fast), then enables the guard from the
 * environment (MIMA_GUARD_MODE, MIMA_GUARD_LOG_FILE, ...). SDKs the app required before this
 * ran are patched in require.cache, with one diag warning (src/late-load.ts).
 */
import * as fs from 'node:fs';
import * as nodeModule from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import { enableGuard } from './app/enable';
import { activeGuard } from './app/guard';
import { patchPreloadedSdks } from './app/late-load';
import { queueModuleNames } from './app/queues/hooks';
import { SDK_DEFINITIONS } from './app/sdks';
import { PACKAGE_NAME } from './app/version';

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** The SDK entry points (bare specifiers), the files holding their patch points, and the queues' entries. */
export function loaderIncludeList(): Array<string | RegExp> {
  return [
    ...SDK_DEFINITIONS.flatMap((definition) => [
      definition.module,
      // The files of the patch points, and of the clients whose methods note their caller.
      ...[...definition.patchPoints, ...(definition.callerEntries ?? [])].flatMap((point) =>
        point.files.map((file) => new RegExp(`/node_modules/${escape(definition.module)}/${escape(file)}$`)),
      ),
    ]),
    ...queueModuleNames(),
  ];
}

/** Set once the loader is registered: a second register (another copy, a runner's setup file) adds none. */
const REGISTERED = Symbol.for(`${PACKAGE_NAME}.esm-hook`);

function registerEsmHook(): void {
  const flags = process as unknown as Record<symbol, boolean | undefined>;
  if (flags[REGISTERED]) return;
  try {
    if (!registerSyncHooks()) {
      nodeModule.register('@opentelemetry/instrumentation/hook.mjs', pathToFileURL(__filename), {
        data: { include: loaderIncludeList() },
      });
    }
  } catch (error) {
    throw sandboxError(error);
  }
  flags[REGISTERED] = true;
}

/**
 * Node's in-thread hooks (`module.registerHooks`) where import-in-the-middle can run on them: no
 * loader thread, and no DEP0205 warning at every start on Node 26, where `module.register` is
 * deprecated. import-in-the-middle is the copy @opentelemetry/instrumentation uses, so that its
 * `Hook`s and this loader are one module instance. Returns false where Node or that copy cannot.
 */
function registerSyncHooks(): boolean {
  if (typeof (nodeModule as { registerHooks?: unknown }).registerHooks !== 'function') return false;
  let dir: string;
  try {
    const instrumentation = require.resolve('@opentelemetry/instrumentation');
    dir = path.dirname(require.resolve('import-in-the-middle/package.json', { paths: [instrumentation] }));
  } catch {
    return false;
  }
  const supports = path.join(dir, 'supports-sync-hooks.mjs');
  if (!fs.existsSync(supports)) return false;
  // require() of an ES module: every Node that passes registerHooks' check above has it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (!(require(supports) as { supportsSyncHooks(): boolean }).supportsSyncHooks()) return false;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const hooks = require(path.join(dir, 'register-hooks.mjs')) as {
    register(options: { include: Array<string | RegExp> }): void;
  };
  hooks.register({ include: loaderIncludeList() });
  return true;
}

/**
 * Jest, and Vitest's vm pools, run test files in a module registry of their own that no Node hook
 * sees, and refuse module.register() there: say what works instead of their generic refusal.
 */
function sandboxError(error: unknown): unknown {
  if (process.env.JEST_WORKER_ID !== undefined) {
    return new Error(
      `${PACKAGE_NAME}/register cannot hook Jest's module registry. In Jest, use the guard's Jest ` +
        `setup instead: setupFiles: ['${PACKAGE_NAME}/jest'] in the Jest config`,
      { cause: error },
    );
  }
  if (process.env.VITEST !== undefined) {
    return new Error(
      `${PACKAGE_NAME}/register cannot hook the module registry of Vitest's vm pools ` +
        `(vmThreads, vmForks); run the tests that use the guard in the forks (default) or threads pool`,
      { cause: error },
    );
  }
  return error;
}

/**
 * Node 20 runs `--require` preloads in its module-hooks thread too, where no app code runs: a
 * second register there initialised import-in-the-middle's hook twice ("already been
 * initialized" on stderr at every start). That thread is told by its preload's call stack.
 */
function inModuleHooksThread(): boolean {
  if (isMainThread) return false;
  const limit = Error.stackTraceLimit;
  try {
    Error.stackTraceLimit = 50;
    return (new Error().stack ?? '').includes('node:internal/modules/esm/worker');
  } catch {
    return false; // a frozen Error: treat the thread as an app's
  } finally {
    try {
      Error.stackTraceLimit = limit;
    } catch {
      // as above
    }
  }
}

if (!inModuleHooksThread()) {
  registerEsmHook();
  // With the guard already enabled (by the app, or another register), its hooks saw the SDK loads.
  const hooksWereOn = activeGuard() !== undefined;
  const instrumentation = enableGuard();
  if (!hooksWereOn) {
    // The SDKs only: a queue library loaded early is not an SDK whose calls went unchecked.
    const sdks = new Set(SDK_DEFINITIONS.map((definition) => definition.module));
    patchPreloadedSdks(instrumentation.getModuleDefinitions().filter((m) => sdks.has(m.name)));
  }
}
