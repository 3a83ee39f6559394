/**
 * One-line set-up, for ES module and CommonJS apps alike:
 *   node --import @mima-governance/instrumentation-guard/register app.mjs
 *   node --require @mima-governance/instrumentation-guard/register app.js
 * Registers the import-in-the-middle loader for the SDK files the guard patches only (other
 * modules load untouched, so start-up stays fast), then enables the guard from the
 * environment (MIMA_GUARD_MODE, MIMA_GUARD_LOG_FILE, ...). SDKs the app required before this
 * ran are patched in require.cache, with one diag warning (src/late-load.ts).
 */
import * as nodeModule from 'node:module';
import { pathToFileURL } from 'node:url';
import { enableGuard } from './enable';
import { activeGuard } from './guard';
import { patchPreloadedSdks } from './late-load';
import { SDK_DEFINITIONS } from './sdks';
import { PACKAGE_NAME } from './version';

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** The SDK entry points (bare specifiers) and the files holding their patch points. */
export function loaderIncludeList(): Array<string | RegExp> {
  return SDK_DEFINITIONS.flatMap((definition) => [
    definition.module,
    ...definition.patchPoints.flatMap((point) =>
      point.files.map((file) => new RegExp(`/node_modules/${escape(definition.module)}/${escape(file)}$`)),
    ),
  ]);
}

/** Set once the loader is registered: a second register (another copy, a runner's setup file) adds none. */
const REGISTERED = Symbol.for(`${PACKAGE_NAME}.esm-hook`);

function registerEsmHook(): void {
  const flags = process as unknown as Record<symbol, boolean | undefined>;
  if (flags[REGISTERED]) return;
  try {
    nodeModule.register('@opentelemetry/instrumentation/hook.mjs', pathToFileURL(__filename), {
      data: { include: loaderIncludeList() },
    });
  } catch (error) {
    throw sandboxError(error);
  }
  flags[REGISTERED] = true;
}

/**
 * Jest, and Vitest's vm pools, run test files in a module registry of their own that no Node hook
 * sees, and refuse module.register() there: say what works instead of their generic refusal.
 */
function sandboxError(error: unknown): unknown {
  if (process.env.JEST_WORKER_ID !== undefined) {
    return new Error(
      `${PACKAGE_NAME}/register cannot hook Jest's module registry. In Jest, enable the guard from a ` +
        `setupFiles module and hand it the SDK modules: ` +
        `require('${PACKAGE_NAME}').enableGuard({ modules: { openai: require('openai') } })`,
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

registerEsmHook();
// With the guard already enabled (by the app, or another register), its hooks saw the SDK loads.
const hooksWereOn = activeGuard() !== undefined;
const instrumentation = enableGuard();
if (!hooksWereOn) patchPreloadedSdks(instrumentation.getModuleDefinitions());
