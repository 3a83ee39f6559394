import type { CallDescription, DetectionRecord } from '../types';
import type { RecordSink } from './sink';

/**
 * The fallback chain: each record goes to the first sink that takes it. `always` sinks get
 * every record as well (report mode promises its JSONL file). The last sink always takes.
 */
export class SinkChain {
  constructor(
    private readonly sinks: RecordSink[],
    private readonly always: RecordSink[] = [],
  ) {}

  report(record: DetectionRecord, call: CallDescription): void {
    let takenBy: RecordSink | undefined;
    for (const sink of this.sinks) {
      if (sink.write(record, call)) {
        takenBy = sink;
        break;
      }
    }
    for (const sink of this.always) {
      if (sink !== takenBy) sink.write(record, call);
    }
  }

  /** Every sink once, in chain order: fallbacks come after the sinks that hand records to them. */
  get members(): RecordSink[] {
    return [...new Set([...this.sinks, ...this.always])];
  }

  /** In order, so that what a sink hands to its fallback while flushing is flushed too. */
  async flush(): Promise<void> {
    for (const sink of this.members) await sink.flush();
  }
}
