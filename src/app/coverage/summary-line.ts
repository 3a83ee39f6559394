import { flushAtExit, stopFlushingAtExit } from '../sinks/exit-flush';
import type { JsonlFileSink } from '../sinks/jsonl-sink';
import { clearInterval, setInterval } from '../sinks/node-timers';
import { keepTallies, takeTallies } from './call-counts';

/** One `{"type":"coverage"}` line: the patched calls per call site over [since, ts]. */
export interface CoverageLine {
  type: 'coverage';
  ts: string;
  since: string;
  pid: number;
  calls: Array<{ call_site: string; attested: number; unattested: number }>;
}

/**
 * Writes the attested and unattested call counts to the JSONL log every `intervalMs` (off by
 * default), so `mima-guard report` can show coverage without a metrics backend. An interval
 * without calls writes nothing. The last interval is written on stop(), at process exit and on
 * SIGINT/SIGTERM.
 */
export class CoverageSummary {
  private since = new Date().toISOString();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly jsonl: JsonlFileSink,
    intervalMs: number,
  ) {
    keepTallies(true);
    this.timer = setInterval(() => this.write(), intervalMs).unref();
    // With the sinks' exit flush: on the real process, also under a test runner's sandbox.
    flushAtExit(this);
  }

  stop(): void {
    clearInterval(this.timer);
    stopFlushingAtExit(this);
    this.write();
    keepTallies(false);
  }

  /** At exit or on a signal: the interval so far, written now (the sink's own flush may have run). */
  flushSync(): void {
    this.write();
    this.jsonl.flushSync();
  }

  private write(): void {
    const tallies = takeTallies();
    const ts = new Date().toISOString();
    if (tallies.size > 0) {
      const line: CoverageLine = {
        type: 'coverage',
        ts,
        since: this.since,
        pid: process.pid,
        calls: [...tallies].map(([callSite, tally]) => ({ call_site: callSite, ...tally })),
      };
      this.jsonl.writeLine(line);
    }
    this.since = ts;
  }
}

let current: CoverageSummary | undefined;

/** The active guard's summary: the previous one writes its last interval and stops. */
export function useCoverageSummary(jsonl: JsonlFileSink | undefined, intervalMs: number): void {
  current?.stop();
  current = jsonl !== undefined && intervalMs > 0 ? new CoverageSummary(jsonl, intervalMs) : undefined;
}
