import { AsyncLocalStorage } from 'node:async_hooks';
import { context, createContextKey, type Context } from '@opentelemetry/api';
import { isCoveredTransport } from './covered-transport';

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
export function runFlagged<R>(
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

/** SDK client objects passed to MimaGovernance.wrap(), in every copy of the package. */
export const attestedClients = shared.clients;

export function isAttestedClient(client: unknown): boolean {
  return typeof client === 'object' && client !== null && attestedClients.has(client);
}
