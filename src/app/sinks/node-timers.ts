import * as timers from 'node:timers';

/*
 * Node's own timer functions, read from `node:timers` once, when this module loads. A test's fake
 * clock (@sinonjs/fake-timers' install(), vi.useFakeTimers(), jest.useFakeTimers()) replaces the
 * globals, and @sinonjs/fake-timers the `timers` module's properties too, from the moment it is
 * installed: the guard's batch, retry, reconnect and ack timers must not be counted by it, nor wait
 * for the test to advance it. Copied into constants on purpose: a named import compiles to a
 * property read at each call, which would see the fake.
 */
export const setTimeout = timers.setTimeout;
export const clearTimeout = timers.clearTimeout;
export const setImmediate = timers.setImmediate;
export const clearImmediate = timers.clearImmediate;
export const setInterval = timers.setInterval;
export const clearInterval = timers.clearInterval;
