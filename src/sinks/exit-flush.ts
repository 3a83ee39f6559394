import { isMainThread } from 'node:worker_threads';

interface SyncFlushable {
  flushSync(): void;
}

const sinks = new Set<SyncFlushable>();
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

function flushAll(): void {
  for (const sink of sinks) sink.flushSync();
}

/**
 * On SIGINT/SIGTERM the queues are written synchronously. If the guard's listener is the only
 * one, the app relied on the default behaviour (die by the signal): the listener removes itself
 * and re-raises the signal. If the app has its own listeners, they decide; the guard only flushes.
 */
function onSignal(signal: NodeJS.Signals): void {
  flushAll();
  if (process.listenerCount(signal) === 1) {
    uninstall();
    process.kill(process.pid, signal);
  }
}

function install(): void {
  process.on('exit', flushAll);
  // Signals reach only the main thread; a worker's 'exit' still flushes its own sinks.
  if (isMainThread) for (const signal of SIGNALS) process.on(signal, onSignal);
}

function uninstall(): void {
  process.removeListener('exit', flushAll);
  for (const signal of SIGNALS) process.removeListener(signal, onSignal);
}

/** Writes the sink's queue synchronously at exit (normal, process.exit(), uncaught exception) and on SIGINT/SIGTERM. */
export function flushAtExit(sink: SyncFlushable): void {
  if (sinks.size === 0) install();
  sinks.add(sink);
}

export function stopFlushingAtExit(sink: SyncFlushable): void {
  if (!sinks.delete(sink)) return;
  if (sinks.size === 0) uninstall();
}
