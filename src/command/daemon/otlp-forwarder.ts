import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { loadOtlpSdk, type OtlpSdk } from './otlp-sdk';
import { SPAN_NAME_AI_CALL } from '../../app/semconv';
import { recordSpanAttributes } from '../../app/sinks/span-sink';
import type { DetectionRecord } from '../../app/types';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../../app/version';
import { guardLog } from '../../app/safe-log';

const TRACES_PATH = 'v1/traces';
const SHUTDOWN_WAIT_MS = 3_000;

const log = guardLog;

/**
 * Sends accepted records on as `mima.ai_call` spans over OTLP/HTTP (JSON), through a
 * BatchSpanProcessor. Best effort by design: the daemon's log is the durable copy, and an
 * unreachable collector only costs spans (the exporter reports it through diag).
 * It has its own TracerProvider, so the daemon never touches the global one.
 */
export class OtlpForwarder {
  private readonly provider: ReturnType<OtlpSdk['newProvider']>;

  /** endpoint: the OTLP base URL, as OTEL_EXPORTER_OTLP_ENDPOINT (`/v1/traces` is appended). */
  constructor(endpoint: string | undefined) {
    const url = endpoint === undefined ? undefined : `${endpoint.replace(/\/+$/, '')}/${TRACES_PATH}`;
    const sdk = loadOtlpSdk();
    this.provider = sdk.newProvider({
      resource: sdk.resourceFromAttributes({ 'service.name': 'mima-guard-daemon' }),
      spanProcessors: [sdk.newBatchProcessor(new sdk.OTLPTraceExporter(url ? { url } : {}))],
    });
  }

  forward(records: readonly DetectionRecord[]): void {
    const tracer = this.provider.getTracer(PACKAGE_NAME, PACKAGE_VERSION);
    for (const record of records) {
      // The span covers the moment of the call, not the moment the daemon heard of it.
      const time = new Date(record.ts);
      const span = tracer.startSpan(SPAN_NAME_AI_CALL, {
        kind: SpanKind.INTERNAL,
        attributes: recordSpanAttributes(record),
        startTime: time,
        root: true,
      });
      if (record.blocked)
        span.setStatus({ code: SpanStatusCode.ERROR, message: 'unattested AI call blocked' });
      span.end(time);
    }
  }

  /** Exports what is queued, then stops. Never rejects: a collector that is down costs spans only. */
  async close(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    // The exporter retries an unreachable collector for up to its 10 s timeout; a daemon told
    // to stop should not wait that long for spans that are best effort.
    const givenUp = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        log.warn(`daemon stopped waiting for its last OTLP export after ${SHUTDOWN_WAIT_MS} ms`);
        resolve();
      }, SHUTDOWN_WAIT_MS).unref();
    });
    try {
      await Promise.race([this.provider.shutdown(), givenUp]);
    } catch (error) {
      // shutdown() rejects with the last export's error (ECONNREFUSED with the collector down),
      // which made the daemon's close() reject, skip removing its socket, and the CLI exit 1.
      log.warn('daemon could not export its last spans over OTLP', error);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The forwarder the options or the environment ask for, if any. */
export function otlpForwarderFor(otlpEndpoint: string | undefined): OtlpForwarder | undefined {
  if (otlpEndpoint) return new OtlpForwarder(otlpEndpoint);
  // The exporter reads these itself, with the spec's rules for each.
  if (process.env.OTEL_EXPORTER_OTLP_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
    return new OtlpForwarder(undefined);
  return undefined;
}
