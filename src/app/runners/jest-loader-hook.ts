/**
 * Loaded by Node's own require in a Jest worker, outside every test sandbox (src/app/runners/jest.ts
 * loads it that way), so it imports nothing of the guard. Jest loads a test file's modules through
 * its own registry, which no Node module hook sees; this wraps the two places of jest-runtime where
 * a module has finished loading (a CommonJS module's `loadModule`, an ES module graph's
 * `linkAndEvaluateModule`) and hands what loaded to the guard of the sandbox it loaded into, and
 * tells that guard when the Runtime is torn down after its test file. Each
 * test file's sandbox puts its own handler on its global; a sandbox without one (no guard in its
 * setup) is not touched. The wrappers are installed once per worker process and stay: they hold
 * nothing of any sandbox.
 */
import * as path from 'node:path';

/** Where a sandbox's guard puts its handler: on that sandbox's global object. */
export const SANDBOX_HANDLER = Symbol.for('@mima-governance/instrumentation-guard.jest-loader');
const WRAPPED = Symbol.for('@mima-governance/instrumentation-guard.jest-loader-wrapped');

export interface SandboxHandler {
  /** A CommonJS module finished loading; returns the exports the test code gets. */
  commonjs(filename: string, specifier: string | undefined, exports: unknown): unknown;
  /** An ES module graph was evaluated: the registry's modules (vm.Module), new ones among them. */
  esModules(modules: Iterable<unknown>): void;
  /**
   * The test file is done and its sandbox goes: the guard stops. Its network backstop listens on a
   * process-wide channel and would otherwise take the next test files' requests for its own.
   */
  teardown(): void;
}

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;
type Loader = Record<string | symbol, unknown>;

function handlerOf(loader: Loader): SandboxHandler | undefined {
  const environment = (loader.environment ?? loader._environment) as { global?: Loader } | undefined;
  const handler = environment?.global?.[SANDBOX_HANDLER];
  return typeof handler === 'object' && handler !== null ? (handler as SandboxHandler) : undefined;
}

/** The modules of the ES module registry in use: jest-runtime 30.5's registries, or the Runtime's own Map. */
function esmRegistryOf(loader: Loader): Iterable<unknown> | undefined {
  const registries = loader.registries as { getActiveEsmRegistry?: () => Map<string, unknown> } | undefined;
  const registry =
    typeof registries?.getActiveEsmRegistry === 'function'
      ? registries.getActiveEsmRegistry()
      : (loader._esmoduleRegistry as Map<string, unknown> | undefined);
  return registry instanceof Map ? registry.values() : undefined;
}

function wrapCommonJs(owner: Loader, name: string): boolean {
  const original = owner[name];
  if (typeof original !== 'function') return false;
  if ((original as unknown as Loader)[WRAPPED]) return true;
  // (localModule, from, moduleName, modulePath, options, moduleRegistry), in every jest-runtime.
  const wrapped = function (this: Loader, ...args: unknown[]): unknown {
    const result = (original as AnyFunction).apply(this, args);
    const module = args[0] as { exports?: unknown; loaded?: boolean } | undefined;
    const handler = handlerOf(this);
    if (handler && module?.loaded === true && typeof args[3] === 'string') {
      const specifier = typeof args[2] === 'string' ? args[2] : undefined;
      try {
        const exports = handler.commonjs(args[3], specifier, module.exports);
        if (exports !== module.exports) module.exports = exports;
      } catch {
        // The guard's own fault never reaches the test: the module loads as it would without it.
      }
    }
    return result;
  };
  Object.defineProperty(wrapped, WRAPPED, { value: true });
  owner[name] = wrapped;
  return true;
}

function wrapEsm(owner: Loader): boolean {
  const original = owner.linkAndEvaluateModule;
  if (typeof original !== 'function') return false;
  if ((original as unknown as Loader)[WRAPPED]) return true;
  const wrapped = function (this: Loader, ...args: unknown[]): unknown {
    const result = (original as AnyFunction).apply(this, args) as Promise<unknown>;
    const handler = handlerOf(this);
    if (!handler || typeof result?.then !== 'function') return result;
    return result.then((module) => {
      try {
        const modules = esmRegistryOf(this);
        if (modules) handler.esModules(modules);
      } catch {
        // As above.
      }
      return module;
    });
  };
  Object.defineProperty(wrapped, WRAPPED, { value: true });
  owner.linkAndEvaluateModule = wrapped;
  return true;
}

function wrapTeardown(owner: Loader): void {
  const original = owner.teardown;
  if (typeof original !== 'function' || (original as unknown as Loader)[WRAPPED]) return;
  const wrapped = function (this: Loader, ...args: unknown[]): unknown {
    try {
      handlerOf(this)?.teardown();
    } catch {
      // As above.
    }
    return (original as AnyFunction).apply(this, args);
  };
  Object.defineProperty(wrapped, WRAPPED, { value: true });
  owner.teardown = wrapped;
}

/** What was hooked: false where this jest-runtime has neither known shape. */
export interface HookResult {
  commonjs: boolean;
  esm: boolean;
}

/**
 * Methods of a Runtime that a sandbox's `require()` reaches through `this`, looked up on the
 * prototype at each call. jest-runtime 30 calls `requireModuleOrMock` that way; 29 binds it when it
 * makes the sandbox's require, so there only the methods it calls next are looked up.
 */
const REQUIRE_PATH = ['requireModuleOrMock', '_shouldMockCjs', 'requireModule', '_requireCoreModule'];

/** The Runtime serving the sandbox that calls `requireFromSandbox`. */
function runtimeServing(Runtime: { prototype: Loader }, requireFromSandbox: () => void): Loader | undefined {
  const prototype = Runtime.prototype;
  const originals = new Map<string, AnyFunction>();
  let runtime: Loader | undefined;
  for (const name of REQUIRE_PATH) {
    const original = prototype[name];
    if (typeof original !== 'function' || !Object.prototype.hasOwnProperty.call(prototype, name)) continue;
    originals.set(name, original as AnyFunction);
    prototype[name] = function (this: Loader, ...args: unknown[]) {
      // eslint-disable-next-line @typescript-eslint/no-this-alias -- the instance is what is looked for
      runtime ??= this;
      return (original as AnyFunction).apply(this, args);
    };
  }
  if (originals.size === 0) return undefined;
  try {
    requireFromSandbox();
  } finally {
    for (const [name, original] of originals) prototype[name] = original;
  }
  return runtime;
}

/** The jest-runtime copies loaded in this process (normally one). */
function runtimeClasses(): Array<{ prototype: Loader }> {
  const marker = `${path.sep}${path.join('jest-runtime', 'build', 'index.js')}`;
  const classes: Array<{ prototype: Loader }> = [];
  for (const [file, cached] of Object.entries(require.cache)) {
    if (!file.endsWith(marker)) continue;
    const exports = cached?.exports as { default?: unknown } | undefined;
    const Runtime = exports?.default ?? exports;
    if (typeof Runtime === 'function') classes.push(Runtime as unknown as { prototype: Loader });
  }
  return classes;
}

/**
 * Wraps the loaders of the jest-runtime serving the calling sandbox: jest-runtime 30.5 keeps them
 * in a CommonJS and an ES module loader object, earlier versions on the Runtime itself.
 */
export function hookJestLoaders(requireFromSandbox: () => void): HookResult {
  for (const Runtime of runtimeClasses()) {
    const runtime = runtimeServing(Runtime, requireFromSandbox);
    if (!runtime) continue;
    const cjsLoader = runtime.cjsLoader as Loader | undefined;
    const esmLoader = runtime.esmLoader as Loader | undefined;
    const commonjs = cjsLoader
      ? wrapCommonJs(Object.getPrototypeOf(cjsLoader) as Loader, 'loadModule')
      : wrapCommonJs(Runtime.prototype, '_loadModule');
    const esm = wrapEsm(esmLoader ? (Object.getPrototypeOf(esmLoader) as Loader) : Runtime.prototype);
    wrapTeardown(Runtime.prototype);
    return { commonjs, esm };
  }
  return { commonjs: false, esm: false };
}
