import { currentFlag, runWithFlag } from '../attestation';

/**
 * The job, wrapped to run with the attested flag of the code enqueueing it (attested or not),
 * wherever the queue starts it. A flag read and a closure: the rest of the async context, the
 * active span included, is the one the queue runs the job in, as without the guard.
 */
export function carryFlag(job: unknown): unknown {
  if (typeof job !== 'function') return job; // the queue's own error for it stays the app's
  const flag = currentFlag();
  return function (this: unknown, ...args: unknown[]): unknown {
    return runWithFlag(flag, job as (...a: unknown[]) => unknown, this, args);
  };
}

/** Wrappers made here, in every copy of this package: an export met again is not wrapped twice. */
const wrapped = ((globalThis as Record<symbol, unknown>)[
  Symbol.for('@mima-governance/instrumentation-guard.queue-wrappers.v1')
] ??= new WeakSet<object>()) as WeakSet<object>;

/** A function whose calls pass carryFlag(first argument) on; everything else about it is its own. */
export function enqueueCarryingFlag<F extends (...args: unknown[]) => unknown>(enqueue: F): F {
  if (wrapped.has(enqueue)) return enqueue;
  const proxy = new Proxy(enqueue, {
    apply(target, thisArg, args: unknown[]) {
      if (args.length > 0) args[0] = carryFlag(args[0]);
      return Reflect.apply(target, thisArg, args);
    },
  });
  wrapped.add(proxy);
  return proxy;
}

/** A function whose every result, a function taking jobs, enqueues them carrying the flag (pLimit). */
export function factoryCarryingFlag<F extends (...args: unknown[]) => unknown>(factory: F): F {
  if (wrapped.has(factory)) return factory;
  const proxy = new Proxy(factory, {
    apply(target, thisArg, args: unknown[]) {
      const made = Reflect.apply(target, thisArg, args);
      return typeof made === 'function' ? enqueueCarryingFlag(made as F) : made;
    },
  });
  wrapped.add(proxy);
  return proxy;
}
