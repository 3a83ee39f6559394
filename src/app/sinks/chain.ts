import type { CallDescription, DetectionRecord } from '../types';
import type { RecordOrigin, RecordSink } from './sink';
import { guardLog } from '../safe-log';
import { warnUnpatchedRequest } from '../blind-spots';
import { NETWORK_CALL_SITE_PREFIX } from '../network/backstop';
import { drainPendingRecords } from './pending-records';

const log = guardLog;

/**
 * The faults of sinks whose write() threw: sink name → the errors told (name and message), across
 * chains (a reconfiguration builds a new chain). One diag message per fault, not per call; a
 * successful write of the sink clears its faults, so a later one is told again.
 */
const failingSinks = new Map<string, Set<string>>();
/** Distinct faults told per sink at most: errors whose message varies per call stop there. */
const MAX_FAULTS_TOLD = 10;

/**
 * The fallback chain: each record goes to the first sink that takes it. `always` sinks get
 * every record as well (the span when records are durable, as it is telemetry, not custody;
 * report mode's JSONL file, which that mode promises). The last sink always takes.
 * A sink that throws (an app's span processor or exporter that throws inside startSpan or end)
 * counts as not taking the record: it goes on to the next sink, at worst a duplicate.
 */
export class SinkChain {
  constructor(
    private readonly sinks: RecordSink[],
    private readonly always: RecordSink[] = [],
  ) {}

  report(record: DetectionRecord, call: CallDescription, origin?: RecordOrigin): void {
    if (record.call_site.startsWith(NETWORK_CALL_SITE_PREFIX)) warnUnpatchedRequest(record.call_site);
    let takenBy: RecordSink | undefined;
    for (const sink of this.sinks) {
      if (offer(sink, record, call, origin)) {
        takenBy = sink;
        break;
      }
    }
    for (const sink of this.always) {
      if (sink !== takenBy) offer(sink, record, call, origin);
    }
  }

  /** Every sink once, in chain order: fallbacks come after the sinks that hand records to them. */
  get members(): RecordSink[] {
    return [...new Set([...this.sinks, ...this.always])];
  }

  /** In order, so that what a sink hands to its fallback while flushing is flushed too. */
  async flush(): Promise<void> {
    drainPendingRecords(true); // records still being built go to their sinks first
    for (const sink of this.members) await sink.flush();
  }
}

function offer(
  sink: RecordSink,
  record: DetectionRecord,
  call: CallDescription,
  origin: RecordOrigin | undefined,
): boolean {
  try {
    const taken = sink.write(record, call, origin);
    if (failingSinks.size > 0) failingSinks.delete(sink.name);
    return taken;
  } catch (error) {
    let told = failingSinks.get(sink.name);
    if (!told) failingSinks.set(sink.name, (told = new Set()));
    const fault = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    if (!told.has(fault) && told.size < MAX_FAULTS_TOLD) {
      told.add(fault);
      log.error(`the guard's ${sink.name} sink failed; its records go to the next sink`, error);
    }
    return false;
  }
}
