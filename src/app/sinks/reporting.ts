import type { Tracer } from '@opentelemetry/api';
import { defaultLogFile, type ResolvedConfig } from '../config';
import { SinkChain } from './chain';
import { DaemonSink } from './daemon-sink';
import { JsonlFileSink } from './jsonl-sink';
import { drainPendingRecords } from './pending-records';
import { SpanSink } from './span-sink';

/** The sinks one configuration reports through, and the writers a reconfiguration may keep. */
export interface Reporting {
  chain: SinkChain;
  jsonl: JsonlFileSink;
  daemon: DaemonSink;
}

/**
 * Durable (the default): every record gets a local, durable copy, the daemon's ack or else the
 * JSONL file, and the span besides: a span is telemetry (a short script or a collector that is down
 * loses it), not custody. Records carry ids, so the report counts a span and a line as one call.
 * `durable: false`: span → daemon → JSONL file, the first that takes it. Report mode always writes
 * its JSONL file as well, since that file is what report mode promises. A configured log file the
 * guard refuses hands its records to the default one. A reconfiguration keeps the writers whose
 * target is unchanged, so their queues stay in order and the daemon connection stays up.
 */
export function reportingFor(
  config: ResolvedConfig,
  tracer: () => Tracer,
  previous?: { config: ResolvedConfig; reporting: Reporting },
): Reporting {
  const jsonl =
    previous && previous.config.logFile === config.logFile
      ? previous.reporting.jsonl
      : jsonlSink(config, config.logFile);
  // The daemon client hands what it cannot deliver to its JSONL sink, so it follows that sink.
  const daemon =
    previous && previous.reporting.jsonl === jsonl && previous.config.socketPath === config.socketPath
      ? previous.reporting.daemon
      : new DaemonSink(config.socketPath, jsonl);
  const span = new SpanSink(tracer);
  const reportFile = config.mode === 'report' ? [jsonl] : [];
  const chain = config.durable
    ? new SinkChain([daemon, jsonl], [span, ...reportFile])
    : new SinkChain([span, daemon, jsonl], reportFile);
  return { chain, jsonl, daemon };
}

function jsonlSink(config: ResolvedConfig, file: string): JsonlFileSink {
  const fallbackFile = defaultLogFile();
  let fallback: JsonlFileSink | undefined;
  return new JsonlFileSink(file, {
    maxBytes: config.maxBytes,
    backups: config.backups,
    maxQueued: config.maxQueuedRecords,
    fallback: file === fallbackFile ? undefined : () => (fallback ??= jsonlSink(config, fallbackFile)),
  });
}

/**
 * Closes the sinks of `previous` that `next` does not keep. The daemon client closes first (what
 * it holds unacknowledged goes to its JSONL sink), then that sink; records a replaced JSONL file
 * could not take move on to the new file rather than wait for a file nobody writes to any more.
 */
export async function retireReporting(previous: Reporting, next: Reporting | undefined): Promise<void> {
  drainPendingRecords(true); // records still being built go to the sinks they were made for
  const kept = new Set(next?.chain.members ?? []);
  if (!kept.has(previous.daemon)) await previous.daemon.close();
  if (kept.has(previous.jsonl)) return;
  if (next && !(await previous.jsonl.flush())) previous.jsonl.handOverTo(next.jsonl);
  await previous.jsonl.close();
}
