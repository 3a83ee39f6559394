import { constants as osConstants } from 'node:os';
import { isMainThread } from 'node:worker_threads';
import { guardLog } from '../safe-log';
import { whileGoingAway } from '../warnings';
import { setImmediate } from './node-timers';

interface SyncFlushable {
  flushSync(): void;
}

/** The terminating signals a process manager or a terminal sends (nodemon restarts with SIGUSR2). */
type Signal = 'SIGINT' | 'SIGTERM' | 'SIGHUP' | 'SIGUSR2';
const SIGNALS: readonly Signal[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGUSR2'];

/**
 * Node's own process object carries Node's `newListener` listener that starts watching a signal
 * (main thread). Jest hands test code (and so a guard enabled in a setup file) a copy of `process`
 * whose listener list starts empty and whose events nothing ever emits; Jest 30 answers
 * process.getBuiltinModule('process') with that copy too.
 */
const isNodesOwn = (candidate: NodeJS.Process) => candidate.listenerCount('newListener') > 0;

/**
 * The process whose `exit` and signals really happen: process.getBuiltinModule (Node ≥ 20.16)
 * reaches it past some sandboxes (a vm context given the real module loader), else the global.
 * Where neither is Node's own (Jest, on any Node version), `real` is false.
 */
function findHostProcess(): { host: NodeJS.Process; real: boolean } {
  try {
    const builtin = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule?.(
      'process',
    ) as NodeJS.Process | undefined;
    if (builtin && isNodesOwn(builtin)) return { host: builtin, real: true };
    return { host: process, real: isNodesOwn(process) };
  } catch {
    return { host: process, real: false };
  }
}

const { host, real } = findHostProcess();

/**
 * Whether a flush at exit can be counted on. Not in a worker thread: `worker.terminate()` runs no
 * JavaScript in the worker. Not when only a sandbox's copy of `process` is reachable (Jest): its
 * `exit` never comes. There the sinks write each record synchronously when it is made instead.
 */
export const exitFlushIsTrusted = isMainThread && real;

const sinks = new Set<SyncFlushable>();
let listening = false;
/** Run before any sink's flush: records still being built off the call path (pending-records.ts). */
const beforeSinks: (() => void)[] = [];

function flushAll(): void {
  for (const drain of beforeSinks) {
    try {
      drain();
    } catch (error) {
      guardLog.error('the guard failed to finish its records at exit', error);
    }
  }
  for (const sink of sinks) {
    try {
      sink.flushSync();
    } catch (error) {
      // Never into the app's exit path: the next sink still gets its turn.
      guardLog.error('a sink failed to write its records at exit', error);
    }
  }
}

/**
 * Prepended, so at emit time every other listener of this signal is still registered (a `once`
 * handler removes itself before it runs), and kept first (see keepFirst). It writes the queues,
 * then removes itself before the others run: signal-exit (used by execa, write-file-atomic…)
 * re-raises the signal only when its own listeners are the only ones left, and a count that
 * included the guard's would keep the process alive. When no other listener was there, the app
 * relied on the default action: the guard re-raises the signal, which now meets no listener and
 * kills the process as it would have without the guard. Otherwise the app's listeners decide; if
 * the process lives on, the guard listens again from the next turn of the event loop.
 */
function onSignal(signal: NodeJS.Signals): void {
  const others = host.listenerCount(signal) - 1;
  host.removeListener(signal, onSignal);
  whileGoingAway(flushAll);
  if (others === 0) {
    host.kill(host.pid, signal);
    return;
  }
  setImmediate(() => {
    if (sinks.size > 0 && listening && !host.listeners(signal).includes(onSignal)) {
      host.prependListener(signal, onSignal);
    }
  }).unref();
}

/**
 * Marks the signal listener of every copy of this package (npm may nest two versions): two copies
 * that each moved themselves in front of the other's would do so forever.
 */
const GUARD_LISTENER = Symbol.for('@mima-governance/instrumentation-guard.signal-listener.v1');
(onSignal as unknown as Record<symbol, boolean>)[GUARD_LISTENER] = true;
const isGuardListener = (listener: unknown) =>
  typeof listener === 'function' && (listener as unknown as Record<symbol, unknown>)[GUARD_LISTENER] === true;

/**
 * A signal listener added after the guard's (even with prependListener) is moved behind it before
 * any signal can be emitted: signals are emitted from the event loop, never in the middle of the
 * synchronous code that added the listener, and a promise job runs before the loop goes on.
 * Another copy's listener is left where it is (each copy flushes its own sinks).
 */
function keepFirst(event: string | symbol, listener: unknown): void {
  if (!SIGNALS.includes(event as Signal) || isGuardListener(listener)) return;
  const signal = event as Signal;
  void Promise.resolve().then(() => {
    const listeners = host.listeners(signal);
    if (!listening || listeners[0] === onSignal || !listeners.includes(onSignal)) return;
    // Another listener is registered, so removing the guard's never stops watching the signal.
    host.removeListener(signal, onSignal);
    host.prependListener(signal, onSignal);
  });
}

function startListening(): void {
  if (listening) return;
  listening = true;
  host.prependListener('exit', flushAll);
  raiseListenerLimit();
  // Signals reach only the main thread; a worker's records are written when they are made.
  if (!isMainThread) return;
  for (const signal of SIGNALS) host.prependListener(signal, onSignal);
  host.on('newListener', keepFirst);
  host.kill = killingAsWithoutTheGuard;
}

function stopListening(): void {
  if (!listening) return;
  listening = false;
  host.removeListener('exit', flushAll);
  lowerListenerLimit();
  host.removeListener('newListener', keepFirst);
  for (const signal of SIGNALS) host.removeListener(signal, onSignal);
  if (host.kill === killingAsWithoutTheGuard) host.kill = nodeKill;
}

/**
 * The guard's listeners do not count against the app's listener limit: an app with ten `exit`
 * listeners of its own got a MaxListenersExceededWarning only when the guard was on. The guard adds
 * at most one listener per event, so one more is allowed while it listens (0 means no limit).
 */
function raiseListenerLimit(): void {
  const limit = host.getMaxListeners();
  if (limit > 0) host.setMaxListeners(limit + 1);
}

function lowerListenerLimit(): void {
  const limit = host.getMaxListeners();
  if (limit > 1) host.setMaxListeners(limit - 1);
}

const nodeKill = host.kill;

/**
 * With a JavaScript listener registered, Node handles a signal on the event loop, so a process
 * that signals itself from its last callback (cleanup, then re-raise: a common way to end on
 * Ctrl-C) found the loop empty and exited 0 instead of dying by the signal. When the guard's
 * listener is the only one for a signal the process sends itself, the guard writes its queues and
 * steps aside first: the signal meets the default action at once, as it does without the guard.
 */
function killingAsWithoutTheGuard(this: unknown, pid: number, signal?: string | number): true {
  try {
    const name = signalName(signal);
    if (name && (pid === host.pid || pid === 0) && host.listeners(name).every(isGuardListener)) {
      host.removeListener(name, onSignal);
      whileGoingAway(flushAll);
    }
  } catch {
    // Never in the way of the app's kill().
  }
  return nodeKill.call(host, pid, signal);
}

function signalName(signal: string | number | undefined): Signal | undefined {
  if (signal === undefined) return 'SIGTERM';
  const name = typeof signal === 'number' ? SIGNAL_BY_NUMBER.get(signal) : signal;
  return SIGNALS.includes(name as Signal) ? (name as Signal) : undefined;
}

const SIGNAL_BY_NUMBER = new Map<number, string>(
  Object.entries(osConstants.signals).map(([name, number]) => [number, name]),
);

/**
 * Writes the sink's queue synchronously at exit (normal, process.exit(), an uncaught exception)
 * and on SIGINT/SIGTERM/SIGHUP/SIGUSR2, without changing whether, when or how the process exits.
 */
export function flushAtExit(sink: SyncFlushable): void {
  sinks.add(sink);
  startListening();
}

/** Runs `drain` at exit (as flushAtExit) before every sink's flush: it hands the sinks records. */
export function drainAtExit(drain: () => void): void {
  if (!beforeSinks.includes(drain)) beforeSinks.push(drain);
}

export function stopFlushingAtExit(sink: SyncFlushable): void {
  if (!sinks.delete(sink)) return;
  if (sinks.size === 0) stopListening();
}
