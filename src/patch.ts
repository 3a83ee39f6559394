import { isAttestedClient, isAttestedOrCovered } from './attestation';
import { onUnattestedCall } from './guard';
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
}

export function isGuardWrapper(fn: unknown): boolean {
  return typeof fn === 'function' && (fn as Wrapper)[ORIGINAL] !== undefined;
}

/** The attested path is two reads and the original call; everything else is in onUnattestedCall. */
function guardedMethod(definition: SdkDefinition, original: AnyMethod, name: string): AnyMethod {
  const wrapper: Wrapper = function (this: unknown, ...args: unknown[]) {
    if (isAttestedOrCovered() || isAttestedClient(this)) return original.apply(this, args);
    return onUnattestedCall(definition, original, this, args, name);
  };
  Object.defineProperty(wrapper, 'name', { value: original.name, configurable: true });
  wrapper[ORIGINAL] = original;
  return wrapper;
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
  const current = (owner as Record<string, AnyMethod>)[method];
  const original = (current as Wrapper)[ORIGINAL] ?? current;
  const patch: Patch = {
    definition,
    owner,
    method,
    original,
    wrapper: isGuardWrapper(current) ? current : guardedMethod(definition, original, method),
    status,
  };
  patches.push(patch);
  applyPatch(patch);
  return patch;
}

/** Class methods are non-enumerable; the wrapper and the restored original stay so. */
function setMethod(owner: object, method: string, value: AnyMethod): void {
  Object.defineProperty(owner, method, { value, writable: true, configurable: true, enumerable: false });
}

export function applyPatch(patch: Patch): void {
  setMethod(patch.owner, patch.method, patch.wrapper);
  patch.status.active = true;
}

/** Restores the original method, unless someone else has replaced ours since: theirs stays. */
export function removePatch(patch: Patch): void {
  if ((patch.owner as Record<string, unknown>)[patch.method] === patch.wrapper) {
    setMethod(patch.owner, patch.method, patch.original);
  }
  patch.status.active = false;
}
