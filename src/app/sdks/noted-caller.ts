import { AsyncLocalStorage } from 'node:async_hooks';
import { context, createContextKey } from '@opentelemetry/api';
import { isAttestedClient, isAttestedOrCovered } from '../attestation';
import type { CodeLocation } from '../call-location';
import { activeGuard } from '../guard';
import { captureCallLocationOrStack, type DeferredStack } from '../sinks/deferred-stack';
import type { AnyMethod, CallerEntries, SdkDefinition } from './definition';

/**
 * The caller of an SDK's public method, noted at its entry for a patch point that runs after the
 * SDK's own awaits (cohere's fetcher, mistral's _createRequest): by then no user frame is on the
 * stack, and the SDKs' promise chains (generator-based __awaiter, a thenable APIPromise) give V8
 * no async frames to follow either.
 */
export interface NotedCaller {
  module: string;
  where: CodeLocation | DeferredStack | undefined;
}

/** Carries the note where an OpenTelemetry context manager works. */
const NOTED_KEY = createContextKey('mima.noted-caller');

/**
 * Where none does: a store of its own, created on the first unattested call that needs it (never
 * on the attested path). Process-wide, like the attestation store: two copies of the guard may
 * have patched the entry and the chokepoint.
 */
const shared = ((globalThis as Record<symbol, unknown>)[
  Symbol.for('@mima-governance/instrumentation-guard.noted-caller.v1')
] ??= { store: undefined }) as { store: AsyncLocalStorage<NotedCaller> | undefined };

/** Marks a noting wrapper (and a getter that was wrapped), so no method is wrapped twice. */
const NOTING = Symbol.for('@mima-governance/instrumentation-guard.noting-caller');

/** The caller noted for a call of `module` in the current async context, if any. */
export function notedCallerFor(module: string): NotedCaller | undefined {
  const noted = shared.store?.getStore() ?? (context.active().getValue(NOTED_KEY) as NotedCaller | undefined);
  return noted?.module === module ? noted : undefined;
}

function runNoted(noted: NotedCaller, fn: AnyMethod, self: unknown, args: unknown[]): unknown {
  const carrying = context.active().setValue(NOTED_KEY, noted);
  return context.with(carrying, () => {
    if (shared.store !== undefined || context.active() !== carrying) {
      shared.store ??= new AsyncLocalStorage<NotedCaller>();
      return shared.store.run(noted, () => fn.apply(self, args) as unknown);
    }
    return fn.apply(self, args) as unknown;
  });
}

/**
 * A public method that notes its caller for an unattested call, then runs the original with the
 * note in its async context. Attested calls, wrapped clients, calls nested in one already noted
 * (a public method calling another) and a guard that captures no locations go straight through.
 */
function notingMethod(definition: SdkDefinition, original: AnyMethod): AnyMethod {
  const module = definition.module;
  const wrapper = function (this: unknown, ...args: unknown[]) {
    if (isAttestedOrCovered() || !notes(definition, this)) return original.apply(this, args) as unknown;
    let where: NotedCaller['where'];
    try {
      where = captureCallLocationOrStack(wrapper);
    } catch {
      return original.apply(this, args) as unknown; // a fault of the guard's costs the note only
    }
    return runNoted({ module, where }, original, this, args);
  };
  Object.defineProperty(wrapper, 'name', { value: original.name, configurable: true });
  Object.defineProperty(wrapper, 'length', { value: original.length, configurable: true });
  (wrapper as unknown as Record<symbol, unknown>)[NOTING] = original;
  return wrapper;
}

function notes(definition: SdkDefinition, self: unknown): boolean {
  try {
    if (activeGuard()?.config.captureCallSite !== true) return false;
    if (notedCallerFor(definition.module) !== undefined || isAttestedClient(self)) return false;
    return !isAttestedClient(definition.clientKeyOf?.(self));
  } catch {
    return false;
  }
}

/** The client classes a file (or the entry module) defines: their public methods note their caller. */
export function noteCallersIn(definition: SdkDefinition, entries: CallerEntries, exports: unknown): void {
  try {
    for (const proto of entries.prototypes(exports)) noteCallersOn(definition, proto);
  } catch {
    // Not the shape expected: the calls keep no location, as before.
  }
}

/**
 * Wraps the public methods (own, not `_`-prefixed) of an SDK client's prototype, and its getters
 * of sub-clients (client.chat, client.datasets): the first object one returns has its prototype
 * wrapped the same way, after which the getter is put back (it costs nothing from then on).
 * Never throws: a shape it cannot patch keeps its calls, without a location, as before.
 */
export function noteCallersOn(definition: SdkDefinition, proto: unknown): void {
  if (proto === null || typeof proto !== 'object' || proto === Object.prototype) return;
  for (const name of Object.getOwnPropertyNames(proto)) {
    if (name === 'constructor' || name.startsWith('_')) continue;
    try {
      const descriptor = Object.getOwnPropertyDescriptor(proto, name);
      if (!descriptor?.configurable) continue;
      if (typeof descriptor.value === 'function' && !(NOTING in descriptor.value)) {
        Object.defineProperty(proto, name, {
          ...descriptor,
          value: notingMethod(definition, descriptor.value),
        });
      } else if (typeof descriptor.get === 'function' && !(NOTING in descriptor.get)) {
        Object.defineProperty(proto, name, {
          ...descriptor,
          get: discoveringGetter(definition, proto, name, descriptor),
        });
      }
    } catch {
      // Frozen or hostile: left as it is.
    }
  }
}

function discoveringGetter(
  definition: SdkDefinition,
  proto: object,
  name: string,
  descriptor: PropertyDescriptor,
): () => unknown {
  const get = descriptor.get!;
  const discover = function (this: unknown): unknown {
    const value: unknown = get.call(this);
    try {
      // A sub-client holds its own options (Fern's and Speakeasy's clients both do).
      if (value !== null && typeof value === 'object' && Object.hasOwn(value, '_options')) {
        noteCallersOn(definition, Object.getPrototypeOf(value));
        if (Object.getOwnPropertyDescriptor(proto, name)?.get === discover) {
          Object.defineProperty(proto, name, descriptor);
        }
      }
    } catch {
      // The value is the app's either way.
    }
    return value;
  };
  Object.defineProperty(discover, NOTING, { value: get });
  return discover;
}
