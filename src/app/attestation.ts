import { AsyncLocalStorage } from 'node:async_hooks';
import { context, createContextKey, type Context } from '@opentelemetry/api';
import { isCoveredTransport } from './covered-transport';
import { SDK_DEFINITIONS } from './sdks';
import type { AttestOptions } from './types';

/**
 * The OpenTelemetry context key attest() sets. Held in a module-local binding: compiled to
 * CommonJS, an exported const is read back as `exports.ATTESTED_KEY` on every use.
 */
const attestedKey = createContextKey('mima.attested');
export { attestedKey as ATTESTED_KEY };
const ATTESTED_KEY = attestedKey;

/**
 * The API's ContextAPI singleton, read once: the package's CommonJS `context` export is a getter,
 * which every patched call would otherwise go through.
 */
const contextApi = context;

/**
 * Set around the work of an unattested call the guard has already reported, for SDKs that
 * call other patched SDKs: the inner calls are part of the reported one. isAttested() stays false.
 */
const COVERED_KEY = createContextKey('mima.covered');

/** The own store's values: attested or not (attest(), setAttested()), or covered by a reported call. */
type Flag = boolean | 'covered';

/**
 * The guard's own store, for when no OpenTelemetry context manager propagates context
 * and for setAttested(). Created at first need: on Node 20 any active AsyncLocalStorage
 * slows every `await` in the app, so apps that never attest, or whose OTel context
 * manager already carries the flag, never pay for it.
 */
interface SharedAttestation {
  store: AsyncLocalStorage<Flag> | undefined;
  /** SDK client objects passed to MimaGovernance.wrap(): every call through them is attested. */
  clients: WeakSet<object>;
}

/**
 * The store and the wrapped clients are process-wide, not per copy of this package: with two
 * copies loaded (npm nests two versions), the method is wrapped by one of them, and that wrapper
 * must see what the other copy's attest(), withAttested(), setAttested() and wrap() set. (The
 * context keys are shared already: createContextKey is Symbol.for.) The symbol names the format.
 */
const SHARED_KEY = Symbol.for('@mima-governance/instrumentation-guard.attestation.v1');
const shared: SharedAttestation = ((globalThis as Record<symbol, SharedAttestation | undefined>)[
  SHARED_KEY
] ??= { store: undefined, clients: new WeakSet<object>() });

function ownStore(): AsyncLocalStorage<Flag> {
  shared.store ??= new AsyncLocalStorage<Flag>();
  return shared.store;
}

/** Whether the guard's own AsyncLocalStorage exists yet (for tests and the benchmark). */
export function ownStoreCreated(): boolean {
  return shared.store !== undefined;
}

/** True when the current async context is attested. Called on every patched SDK call. */
export function isAttested(): boolean {
  const own = shared.store?.getStore();
  if (own !== undefined) return own === true;
  return contextApi.active().getValue(ATTESTED_KEY) === true;
}

/**
 * The patched methods' check: attested, or the transport of a call the guard already handled
 * (inside its covered scope, with no user code on the stack in between: see isCoveredTransport).
 * The stack is read only inside a covered scope.
 */
export function isAttestedOrCovered(): boolean {
  // Written out, and the covered case apart: this is every patched call's attested path, kept
  // small enough for V8 to inline into the wrapper.
  const own = shared.store?.getStore();
  if (own !== undefined) return own === true || (own === 'covered' && coveredTransport());
  const active = contextApi.active();
  return (
    active.getValue(ATTESTED_KEY) === true || (active.getValue(COVERED_KEY) === true && coveredTransport())
  );
}

function coveredTransport(): boolean {
  return isCoveredTransport(isAttestedOrCovered);
}

/** The network backstop's check: attested, or a request of a call the guard already handled. */
export function isAttestedOrCoveredRequest(): boolean {
  return attestedOrTransport(isAttestedOrCoveredRequest, true);
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
function attestedOrTransport(below: Function, request: boolean): boolean {
  const own = shared.store?.getStore();
  if (own !== undefined) return own === true || (own === 'covered' && isCoveredTransport(below, request));
  const active = contextApi.active();
  if (active.getValue(ATTESTED_KEY) === true) return true;
  return active.getValue(COVERED_KEY) === true && isCoveredTransport(below, request);
}

/** True inside an unattested call the guard has already reported (its inner patched calls). */
export function isCovered(): boolean {
  const own = shared.store?.getStore();
  if (own !== undefined) return own === 'covered';
  return contextApi.active().getValue(COVERED_KEY) === true;
}

/** The guard's flag here (attested, covered by a reported call, or neither), to carry it elsewhere. */
export type CarriedFlag = Flag;

/** The flag of the current async context, as isAttested() and isCovered() read it. */
export function currentFlag(): CarriedFlag {
  const own = shared.store?.getStore();
  if (own !== undefined) return own;
  const active = contextApi.active();
  if (active.getValue(ATTESTED_KEY) === true) return true;
  return active.getValue(COVERED_KEY) === true ? 'covered' : false;
}

/**
 * Runs fn with the flag given instead of the current one (src/queues: a job runs with its
 * enqueuer's flag). Only the guard's two keys change: every other context value, the active
 * span included, stays the one fn would have run with.
 */
export function runWithFlag<R>(
  flag: CarriedFlag,
  fn: (...a: unknown[]) => R,
  thisArg: unknown,
  args: unknown[],
): R {
  if (currentFlag() === flag) return fn.apply(thisArg, args);
  const active = contextApi.active();
  const attested = flag === true ? active.setValue(ATTESTED_KEY, true) : active.deleteValue(ATTESTED_KEY);
  const flagged =
    flag === 'covered' ? attested.setValue(COVERED_KEY, true) : attested.deleteValue(COVERED_KEY);
  return contextApi.with(flagged, () => {
    // As in runFlagged: the own store holds the flag where no context manager carries it,
    // and once it exists its value is read first.
    if (shared.store !== undefined || contextApi.active() !== flagged) {
      return ownStore().run(flag, () => fn.apply(thisArg, args));
    }
    return fn.apply(thisArg, args);
  });
}

/**
 * Sets the flag for the current async context and the work it starts from here on,
 * like the Python guard's ContextVar: other concurrent tasks are not affected. Note that
 * an async function runs in its caller's context until its first `await`, so a call made
 * before that point sets the caller's flag. Prefer attest(), which cannot leak the flag
 * past the function it wraps.
 */
export function setAttested(value: boolean): void {
  if (typeof value !== 'boolean') {
    throw new TypeError(`setAttested expects true or false; got ${typeof value} ${String(value)}`);
  }
  ownStore().enterWith(value);
}

/**
 * The last context flagged, and the flagged child made from it. Contexts are immutable, so a
 * parent seen again (the root context of an app without a context manager, the same request's
 * context) gets the same child: setValue() copies every value of the parent, this costs nothing.
 * One entry: it keeps at most one context alive that the app no longer uses.
 */
let lastFlagged: { parent: Context; key: symbol; flagged: Context } | undefined;

function flaggedContext(key: symbol): Context {
  const parent = contextApi.active();
  const last = lastFlagged;
  if (last !== undefined && last.parent === parent && last.key === key) return last.flagged;
  // Nested: the context is flagged already.
  if (parent.getValue(key) === true) return parent;
  const flagged = parent.setValue(key, true);
  lastFlagged = { parent, key, flagged };
  return flagged;
}

/** Runs fn with `flag` in the OTel context and, where needed, in the own store. */
function runFlagged<R>(
  key: symbol,
  flag: true | 'covered',
  fn: (...args: unknown[]) => R,
  thisArg: unknown,
  args: unknown[],
): R {
  const flagged = flaggedContext(key);
  return contextApi.with(flagged, () => {
    // A working OTel context manager carries the flag through async work by itself; the
    // own store is needed when none is registered, or once setAttested() has created it
    // (its value is read first and must not hide this scope).
    if (shared.store !== undefined || contextApi.active() !== flagged) {
      return ownStore().run(flag, () => fn.apply(thisArg, args));
    }
    return fn.apply(thisArg, args);
  });
}

/** Runs fn attested, and keeps a returned generator attested on every next(). */
function runAttested<R>(fn: (...args: unknown[]) => R, thisArg: unknown, args: unknown[]): R {
  const result = runFlagged(ATTESTED_KEY, true, fn, thisArg, args);
  return isGenerator(result) ? (attestedGenerator(result) as R) : result;
}

/** Runs a reported call's original so that the patched calls it makes are not reported again. */
export function runCovered(fn: AnyFunction, thisArg: unknown, args: unknown[]): unknown {
  return runFlagged(COVERED_KEY, 'covered', fn as (...a: unknown[]) => unknown, thisArg, args);
}

/** Set once a call ran uncovered in runCoveredIfCarried (nothing could carry the flag). */
let uncoveredCallRan = false;

/**
 * runCovered, where that creates nothing: when the guard's own store exists or an OTel context
 * manager carries the flag. Otherwise (no context manager, nothing attested yet) fn runs as is,
 * so that an app that never attests never gets an AsyncLocalStorage, and the call is remembered:
 * its work cannot be told from uncovered work (see uncoveredCallsRan).
 */
export function runCoveredIfCarried(fn: AnyFunction, thisArg: unknown, args: unknown[]): unknown {
  // Once a call ran uncovered, covering later ones tells the backstop nothing more.
  if (uncoveredCallRan) return (fn as (...a: unknown[]) => unknown).apply(thisArg, args);
  if (shared.store !== undefined) return runCovered(fn, thisArg, args);
  const flagged = contextApi.active().setValue(COVERED_KEY, true);
  return contextApi.with(flagged, () => {
    if (contextApi.active() !== flagged) uncoveredCallRan = true;
    return (fn as (...a: unknown[]) => unknown).apply(thisArg, args);
  });
}

/** True once runCoveredIfCarried had to run a call without its covered flag, in this process. */
export function uncoveredCallsRan(): boolean {
  return uncoveredCallRan;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type AnyFunction = Function;

type AnyGenerator = Generator<unknown, unknown, unknown> | AsyncGenerator<unknown, unknown, unknown>;

function isGenerator(value: unknown): value is AnyGenerator {
  // Most results (a promise, a value) are told apart without the tag lookup.
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof (value as { next?: unknown }).next !== 'function'
  ) {
    return false;
  }
  const tag = Object.prototype.toString.call(value);
  return tag === '[object AsyncGenerator]' || tag === '[object Generator]';
}

/** A generator's body runs in the context of whoever calls next(), so each step is re-attested. */
function attestedGenerator(generator: AnyGenerator): AnyGenerator {
  const step = (name: 'next' | 'return' | 'throw') =>
    function (value?: unknown) {
      return runAttested(generator[name] as (...a: unknown[]) => unknown, generator, [value]);
    };
  const isAsync = Object.prototype.toString.call(generator) === '[object AsyncGenerator]';
  const wrapped = {
    next: step('next'),
    return: step('return'),
    throw: step('throw'),
    [isAsync ? Symbol.asyncIterator : Symbol.iterator]() {
      return wrapped;
    },
    [Symbol.toStringTag]: isAsync ? 'AsyncGenerator' : 'Generator',
  };
  return wrapped as unknown as AnyGenerator;
}

function validateOptions(options: unknown): AttestOptions {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(
      `attest() options must be an object like { toolName: 'classify' }; got ${String(options)}`,
    );
  }
  for (const key of Object.keys(options)) {
    if (key !== 'toolName') {
      throw new TypeError(`Unknown attest() option "${key}"; accepted: toolName`);
    }
  }
  const { toolName } = options as AttestOptions;
  if (toolName !== undefined && typeof toolName !== 'string') {
    throw new TypeError(`attest() option toolName must be a string; got ${typeof toolName}`);
  }
  return options as AttestOptions;
}

/** Returns fn wrapped so that every call of it, and the async work it starts, is attested. */
export function attestFunction<F extends (...args: never[]) => unknown>(fn: F): F {
  if (typeof fn !== 'function') {
    throw new TypeError(`attest() can wrap a function or decorate a method; got ${typeof fn}`);
  }
  const wrapped = function (this: unknown, ...args: unknown[]) {
    return runAttested(fn as unknown as (...a: unknown[]) => unknown, this, args);
  };
  Object.defineProperty(wrapped, 'name', { value: fn.name, configurable: true });
  Object.defineProperty(wrapped, 'length', { value: fn.length, configurable: true });
  return wrapped as unknown as F;
}

/** Usable as attest()(fn), as a TC39 method decorator, and as a legacy (experimentalDecorators) one. */
export interface AttestDecorator {
  <F extends (...args: never[]) => unknown>(fn: F, context?: ClassMethodDecoratorContext): F;
  <T>(
    target: object,
    propertyKey: string | symbol,
    descriptor: TypedPropertyDescriptor<T>,
  ): TypedPropertyDescriptor<T>;
}

function decorator(): AttestDecorator {
  return function attestDecorator(target: unknown, contextOrKey?: unknown, descriptor?: unknown) {
    if (isMethodDescriptor(descriptor)) {
      descriptor.value = attestFunction(descriptor.value);
      return descriptor;
    }
    if (typeof target === 'function' && isDecoratorContext(contextOrKey)) {
      if (contextOrKey.kind !== 'method') {
        throw new TypeError(
          `@attest() decorates methods and functions; it cannot decorate a ${contextOrKey.kind}`,
        );
      }
      return attestFunction(target as (...a: never[]) => unknown);
    }
    return attestFunction(target as (...a: never[]) => unknown);
  } as AttestDecorator;
}

function isMethodDescriptor(value: unknown): value is { value: (...a: never[]) => unknown } {
  return (
    typeof value === 'object' && value !== null && typeof (value as PropertyDescriptor).value === 'function'
  );
}

function isDecoratorContext(value: unknown): value is { kind: string } {
  return (
    typeof value === 'object' && value !== null && typeof (value as { kind?: unknown }).kind === 'string'
  );
}

export function attest(options?: AttestOptions): AttestDecorator;
export function attest<F extends (...args: never[]) => unknown>(options: AttestOptions, fn: F): F;
export function attest<F extends (...args: never[]) => unknown>(fn: F): F;
export function attest(optionsOrFn?: unknown, fn?: unknown): unknown {
  if (typeof optionsOrFn === 'function') return attestFunction(optionsOrFn as (...a: never[]) => unknown);
  validateOptions(optionsOrFn);
  if (fn !== undefined) return attestFunction(fn as (...a: never[]) => unknown);
  return decorator();
}

/** Runs fn attested and returns what it returns. */
export function withAttested<T>(fn: () => T, options?: AttestOptions): T {
  validateOptions(options);
  if (typeof fn !== 'function') {
    throw new TypeError(`withAttested expects a function; got ${typeof fn}`);
  }
  return runAttested(fn as (...a: unknown[]) => T, undefined, []);
}

/** What stands for a wrapped client at each SDK's chokepoint, when that is not the client itself. */
function clientKeys(client: object): object[] {
  return SDK_DEFINITIONS.flatMap((definition) => {
    try {
      return (definition.clientKeys?.(client) ?? []).filter(
        (key): key is object => typeof key === 'object' && key !== null,
      );
    } catch {
      return []; // not a client of this SDK
    }
  });
}

/** SDK client objects passed to MimaGovernance.wrap(), in every copy of the package. */
const attestedClients = shared.clients;

export function isAttestedClient(client: unknown): boolean {
  return typeof client === 'object' && client !== null && attestedClients.has(client);
}

export class MimaGovernance {
  readonly systemName: string;
  readonly workspaceId?: string;
  readonly #apiKey?: string;

  constructor(opts: { apiKey?: string; systemName: string; workspaceId?: string }) {
    if (opts === null || typeof opts !== 'object') {
      throw new TypeError('MimaGovernance expects options like { systemName: "my-system" }');
    }
    if (typeof opts.systemName !== 'string' || opts.systemName.length === 0) {
      throw new TypeError(
        `MimaGovernance option systemName must be a non-empty string; got ${typeof opts.systemName}`,
      );
    }
    for (const key of ['apiKey', 'workspaceId'] as const) {
      if (opts[key] !== undefined && typeof opts[key] !== 'string') {
        throw new TypeError(`MimaGovernance option ${key} must be a string; got ${typeof opts[key]}`);
      }
    }
    this.systemName = opts.systemName;
    this.workspaceId = opts.workspaceId;
    this.#apiKey = opts.apiKey;
  }

  /** True when an API key was given (the key itself is never exposed or logged). */
  get hasApiKey(): boolean {
    return this.#apiKey !== undefined;
  }

  attest(options?: AttestOptions): AttestDecorator {
    return attest(options);
  }

  /**
   * A function comes back wrapped by attest(). An SDK client object is marked, not
   * proxied (a Proxy breaks #private fields), and returned as is: the guard's patch
   * sees the mark on every call made through it.
   */
  wrap<T>(target: T, options?: AttestOptions): T {
    validateOptions(options);
    if (typeof target === 'function') return attestFunction(target as (...a: never[]) => unknown) as T;
    if (typeof target === 'object' && target !== null) {
      attestedClients.add(target);
      for (const key of clientKeys(target)) attestedClients.add(key);
      return target;
    }
    throw new TypeError(
      `MimaGovernance.wrap expects a function or an SDK client object; got ${typeof target}`,
    );
  }
}
