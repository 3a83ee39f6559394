import type { CodeLocation } from '../call-location';
import { resolveDeferredStack, type DeferredStack } from './deferred-stack';
import { guardLog } from '../safe-log';
import { drainAtExit, exitFlushIsTrusted } from './exit-flush';
import { whenMapReady } from './source-maps';

/**
 * Unattested calls decided on the call path whose record is built off it: the call path keeps the
 * call's time and its stack (or location), and a microtask, queued during the call and so run
 * before anything that awaits the call, builds the record, warns and hands it to the sinks, in
 * call order. A location that needs a source map still being decoded waits for it (source-maps.ts),
 * and so does every later record, so the order holds. Nothing waits past process exit, a
 * reconfiguration or disableGuard: those drain the queue synchronously first, decoding a missing
 * map on this thread. Where no exit flush can be trusted (a worker thread, Jest's sandbox), each
 * record is finished before the call returns, as the JSONL sink writes it then.
 */
export interface PendingRecord {
  /** The caller's location, or the stack to find it in; undefined when not captured. */
  where: CodeLocation | DeferredStack | undefined;
  /** Builds, warns and reports the record, given the location. Never throws into the drain. */
  finish(location: CodeLocation | undefined): void;
}

/**
 * The drain runs as a job of a promise resolved at load: a fake clock (@sinonjs/fake-timers,
 * vi.useFakeTimers()) replaces the global queueMicrotask and process.nextTick, never a promise job.
 */
const resolved = Promise.resolve();
const queue: PendingRecord[] = [];
let scheduled = false;
let draining = false;
let exiting = false;

/** True while the queue is drained at process exit: a warning must be emitted synchronously then. */
export function drainingAtExit(): boolean {
  return exiting;
}
/** Records kept waiting for a map at most: past it, the rest are finished with the map decoded here. */
const MAX_WAITING = 10_000;

export function deferRecord(record: PendingRecord): void {
  queue.push(record);
  if (!exitFlushIsTrusted) {
    drainPendingRecords(true);
    return;
  }
  if (scheduled) return;
  scheduled = true;
  void resolved.then(drainLater);
}

function drainLater(): void {
  scheduled = false;
  drainPendingRecords(queue.length > MAX_WAITING);
}

/** Finishes the queued records in order; `now`: without waiting for a map (exit, disable, flush). */
export function drainPendingRecords(now: boolean): void {
  if (draining) return; // a sink that reports back into the guard: the outer drain goes on
  draining = true;
  let done = 0;
  try {
    while (done < queue.length) {
      const record = queue[done];
      const where = record.where;
      let location: CodeLocation | undefined | 'pending';
      try {
        location = where && 'holder' in where ? resolveDeferredStack(where, !now) : where;
      } catch {
        location = undefined; // the record without a location rather than no record
      }
      if (location === 'pending') break; // whenMapReady resumes
      done++;
      try {
        record.finish(location);
      } catch (error) {
        guardLog.error('failed to report an unattested call', error);
      }
    }
  } finally {
    queue.splice(0, done);
    draining = false;
  }
}

whenMapReady(() => {
  if (queue.length === 0 || scheduled) return;
  scheduled = true;
  void resolved.then(drainLater);
});
drainAtExit(() => {
  exiting = true;
  try {
    drainPendingRecords(true);
  } finally {
    exiting = false;
  }
});
