import type { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import type { resourceFromAttributes } from '@opentelemetry/resources';
import type { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { UsageError } from '../cli/args';

/** What the daemon's OTLP forwarding needs from the OpenTelemetry SDK, from either line. */
export interface OtlpSdk {
  OTLPTraceExporter: typeof OTLPTraceExporter;
  resourceFromAttributes: typeof resourceFromAttributes;
  BasicTracerProvider: typeof BasicTracerProvider;
  BatchSpanProcessor: typeof BatchSpanProcessor;
}

export const OTLP_PACKAGES = [
  '@opentelemetry/exporter-trace-otlp-http',
  '@opentelemetry/sdk-trace-base',
  '@opentelemetry/resources',
];

/**
 * Loaded only when the daemon is asked to forward: these are optional peer dependencies, because
 * an app and its SDKs pin the OpenTelemetry SDK at versions of their own (@mistralai/mistralai
 * peers exporter ^0.220), and a dependency of the guard on another line made installs fail.
 * OpenTelemetry JS 3 publishes only @opentelemetry/sdk-trace (sdk-trace-base 2.x became a shim
 * over it), whose provider is `TracerProvider`; either package is used.
 */
export function loadOtlpSdk(): OtlpSdk {
  const missing: string[] = [];
  const load = <T>(...names: string[]): T | undefined => {
    for (const name of names) {
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        return require(name) as T;
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'MODULE_NOT_FOUND') throw error;
      }
    }
    missing.push(names[0]);
    return undefined;
  };
  const exporter = load<Pick<OtlpSdk, 'OTLPTraceExporter'>>('@opentelemetry/exporter-trace-otlp-http');
  const trace = tracingSdk(load<TraceModule>('@opentelemetry/sdk-trace-base', '@opentelemetry/sdk-trace'));
  const resources = load<Pick<OtlpSdk, 'resourceFromAttributes'>>('@opentelemetry/resources');
  if (!exporter || !trace || !resources) {
    throw new UsageError(
      `mima-guard daemon forwards over OTLP with the OpenTelemetry SDK, and cannot find ${missing.join(', ')}: ` +
        `npm install ${OTLP_PACKAGES.join(' ')} (or start the daemon without --otlp-endpoint and OTEL_EXPORTER_OTLP_ENDPOINT)`,
    );
  }
  return { ...exporter, ...trace, ...resources };
}

type TraceModule = Partial<Pick<OtlpSdk, 'BasicTracerProvider' | 'BatchSpanProcessor'>> & {
  TracerProvider?: OtlpSdk['BasicTracerProvider'];
};

function tracingSdk(
  trace: TraceModule | undefined,
): Pick<OtlpSdk, 'BasicTracerProvider' | 'BatchSpanProcessor'> | undefined {
  const BasicTracerProvider = trace?.BasicTracerProvider ?? trace?.TracerProvider;
  if (!BasicTracerProvider || !trace?.BatchSpanProcessor) return undefined;
  return { BasicTracerProvider, BatchSpanProcessor: trace.BatchSpanProcessor };
}
