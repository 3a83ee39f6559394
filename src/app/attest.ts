/**
 * attest() and withAttested(): the public API that runs user code attested (attestation.ts keeps
 * the flag itself), as a wrapper, a decorator (TC39 and legacy) or a one-off run; a generator it
 * returns stays attested on every step.
 */
import { ATTESTED_KEY, runFlagged } from './attestation';
import type { AttestOptions } from './types';

/** Runs fn attested, and keeps a returned generator attested on every next(). */
function runAttested<R>(fn: (...args: unknown[]) => R, thisArg: unknown, args: unknown[]): R {
  const result = runFlagged(ATTESTED_KEY, true, fn, thisArg, args);
  return isGenerator(result) ? (attestedGenerator(result) as R) : result;
}

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

export function validateOptions(options: unknown): AttestOptions {
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
