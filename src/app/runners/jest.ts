/**
 * Jest in one line: `setupFiles: ['@mima-governance/instrumentation-guard/jest']`.
 *
 * Jest runs each test file in a sandbox with a module registry of its own, which no Node module
 * hook sees, so `register` cannot work there. This setup file, run in each test file's sandbox
 * before the test file, enables the guard from the environment (MIMA_GUARD_MODE, ...) and has the
 * SDK modules patched as Jest loads them for the test file, when the test file loads them: after
 * its hoisted jest.mock() calls, so a mocked SDK internal is what the SDK gets, as without the
 * guard. Nothing is loaded here that the tests would not load.
 */
import nodeModule from 'node:module';
import { disableGuard, enableGuard } from '../enable';
import { guardLog } from '../safe-log';
import { patchPreloadedSdks } from '../late-load';
import { SDK_DEFINITIONS } from '../sdks';
import { PACKAGE_NAME } from '../version';
import { warnGuardProblem } from '../warnings';
import { SANDBOX_HANDLER, type HookResult } from './jest-loader-hook';
import { createSandboxHandler } from './jest-sdk-files';

/**
 * Node's own require, outside the sandbox. Jest answers `require('module')` with a subclass of
 * Node's Module whose `createRequire` stays in the sandbox; the class it extends is Node's.
 */
function hostRequire(): NodeJS.Require {
  const sandboxed = nodeModule as unknown as { Module?: unknown };
  const base = Object.getPrototypeOf(sandboxed.Module ?? nodeModule) as typeof nodeModule | null;
  const real = typeof base?.createRequire === 'function' ? base : nodeModule;
  return real.createRequire(__filename);
}

function hookLoaders(): HookResult {
  try {
    const hook = hostRequire()('./jest-loader-hook') as typeof import('./jest-loader-hook');
    // A require from this sandbox, for the hook to find the jest-runtime that serves it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- it must be this sandbox's require
    return hook.hookJestLoaders(() => require('node:path'));
  } catch {
    return { commonjs: false, esm: false };
  }
}

const instrumentation = enableGuard();
const sdkNames = new Set(SDK_DEFINITIONS.map((definition) => definition.module));
const definitions = instrumentation
  .getModuleDefinitions()
  .filter((definition) => sdkNames.has(definition.name));
Object.defineProperty(globalThis, SANDBOX_HANDLER, {
  value: createSandboxHandler(definitions, () => {
    disableGuard().catch((error: unknown) =>
      guardLog.error('stopping the guard after a Jest test file failed', error),
    );
  }),
  configurable: true,
});
const hooked = hookLoaders();
if (!hooked.commonjs || !hooked.esm) {
  const missing = [!hooked.commonjs && 'CommonJS', !hooked.esm && 'ES module'].filter(Boolean).join(' and ');
  warnGuardProblem(
    'MIMA_GUARD_JEST_UNHOOKED',
    `${PACKAGE_NAME}/jest found no ${missing} loader of a known jest-runtime to hook (not run by Jest 29 or 30?): ` +
      `the AI SDKs these tests load are not checked. Pass them to the guard in a setup file instead: ` +
      `require('${PACKAGE_NAME}').enableGuard({ modules: { openai: require('openai') } })`,
  );
}
// An SDK an earlier setup file already loaded into this registry.
patchPreloadedSdks(definitions, require.cache);
