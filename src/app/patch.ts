import { isAttestedClient, isAttestedOrCovered } from './attestation';
import { countingCalls } from './coverage/call-counts';
import { onAttestedCall, onAttestedClientCall, onUnattestedCall } from './call-handlers';
import type { AnyMethod, SdkDefinition } from './sdks/definition';
import type { PatchStatus } from './types';

/** Marks the guard's wrappers, so a second patch of the same method is recognised and skipped. */
const ORIGINAL = Symbol.for('@mima-governance/instrumentation-guard.original');

type Wrapper = AnyMethod & { [ORIGINAL]?: AnyMethod };

export interface Patch {
  definition: SdkDefinition;
  owner: object;
  method: string;
  original: AnyMethod;
  wrapper: AnyMethod;
  status: PatchStatus;
  /** The owner inherited the method (a subclass patched apart from its base): unpatching deletes ours. */
  inherited: boolean;
}

export function isGuardWrapper(fn: unknown): boolean {
  return typeof fn === 'function' && (fn as Wrapper)[ORIGINAL] !== undefined;
}

/**
 * The SDK (by module name, the same for two copies of the guard) whose patched method is being
 * handled right now, synchronously. An SDK with several patch points, one calling the next
 * (Stainless: `post` → `methodRequest` → `request`), makes one call: the outer point decided it,
 * and the inner one just runs. Held only during the synchronous handling, so an independent call
 * made later (an await away) is decided on its own.
 */
let handling: string | undefined;

function handleOnce(module: string, handle: () => unknown): unknown {
  const outer = handling;
  handling = module;
  try {
    return handle();
  } finally {
    handling = outer;
  }
}

/**
 * The attested path is a read of the context and the original call, kept that small so that V8
 * inlines it; a wrapped client's calls and everything else are decided in `decide`. The arguments
 * are passed on with `apply(this, arguments)` only: V8's optimising compiler then forwards them
 * without building an array, where a rest parameter handed to `decide` cost an array every call.
 */
function guardedMethod(definition: SdkDefinition, original: AnyMethod, name: string): AnyMethod {
  const module = definition.module;
  const attestedCounted: AnyMethod = function (this: unknown, ...args: unknown[]) {
    return decide(definition, original, this, args, name, true, wrapper);
  };
  const unattested: AnyMethod = function (this: unknown, ...args: unknown[]) {
    return decide(definition, original, this, args, name, false, wrapper);
  };
  const wrapper: Wrapper = function (this: unknown) {
    /* eslint-disable prefer-rest-params */
    if (handling === module) return original.apply(this, arguments);
    if (isAttestedOrCovered()) {
      return countingCalls ? attestedCounted.apply(this, arguments) : original.apply(this, arguments);
    }
    return unattested.apply(this, arguments);
    /* eslint-enable prefer-rest-params */
  };
  Object.defineProperty(wrapper, 'name', { value: original.name, configurable: true });
  wrapper[ORIGINAL] = original;
  return wrapper;
}

/**
 * The original of a method the owner inherits: whatever its base has at call time, so a later
 * patch of the base (another instrumentation's) is not bypassed by the subclass's wrapper.
 */
function inheritedMethod(owner: object, method: string, name: string): AnyMethod {
  const base = Object.getPrototypeOf(owner) as Record<string, AnyMethod>;
  const callBase = function (this: unknown, ...args: unknown[]) {
    return base[method].apply(this, args);
  };
  Object.defineProperty(callBase, 'name', { value: name, configurable: true });
  return callBase;
}

function decide(
  definition: SdkDefinition,
  original: AnyMethod,
  self: unknown,
  args: unknown[],
  name: string,
  attested: boolean,
  wrapper: AnyMethod,
): unknown {
  const module = definition.module;
  if (attested) return handleOnce(module, () => onAttestedCall(definition, original, self, args, name));
  if (isAttestedClient(self) || isAttestedClient(definition.clientKeyOf?.(self))) {
    return handleOnce(module, () => onAttestedClientCall(definition, original, self, args, name));
  }
  // The wrapper is where the caller's frames begin: the stack is captured below it.
  return handleOnce(module, () => onUnattestedCall(definition, original, self, args, name, wrapper));
}

/** Every method the guard has patched, across SDK copies and guard instances. */
const patches: Patch[] = [];

export function allPatches(): readonly Patch[] {
  return patches;
}

/** Registers owner[method] and wraps it. Returns the existing patch when it is already known. */
export function patchMethod(
  definition: SdkDefinition,
  owner: object,
  method: string,
  status: PatchStatus,
): Patch {
  const known = patches.find((p) => p.owner === owner && p.method === method);
  if (known) {
    applyPatch(known);
    return known;
  }
  const inherited = !Object.prototype.hasOwnProperty.call(owner, method);
  const current = (owner as Record<string, AnyMethod>)[method];
  const original = inherited
    ? inheritedMethod(owner, method, current.name)
    : ((current as Wrapper)[ORIGINAL] ?? current);
  const patch: Patch = {
    definition,
    owner,
    method,
    original,
    wrapper: isGuardWrapper(current) ? current : guardedMethod(definition, original, method),
    status,
    inherited,
  };
  patches.push(patch);
  applyPatch(patch);
  return patch;
}

/**
 * The wrapper and the restored original keep the property's enumerability: class methods stay
 * hidden, exported functions stay visible to `Object.keys` and `export *` re-exports.
 */
function setMethod(owner: object, method: string, value: AnyMethod): void {
  const enumerable = Object.getOwnPropertyDescriptor(owner, method)?.enumerable ?? false;
  Object.defineProperty(owner, method, { value, writable: true, configurable: true, enumerable });
}

export function applyPatch(patch: Patch): void {
  setMethod(patch.owner, patch.method, patch.wrapper);
  patch.status.active = true;
}

/**
 * Restores the original method (an inherited one by deleting ours, so the owner inherits again),
 * unless someone else has replaced ours since: theirs stays.
 */
export function removePatch(patch: Patch): void {
  if ((patch.owner as Record<string, unknown>)[patch.method] === patch.wrapper) {
    if (patch.inherited) delete (patch.owner as Record<string, unknown>)[patch.method];
    else setMethod(patch.owner, patch.method, patch.original);
  }
  patch.status.active = false;
}
