import type { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import type { resourceFromAttributes } from '@opentelemetry/resources';
import type { BasicTracerProvider, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { UsageError } from '../cli/args';

type Provider = Pick<BasicTracerProvider, 'getTracer' | 'shutdown'>;
type ProviderOptions = {
  resource: ReturnType<typeof resourceFromAttributes>;
  spanProcessors: SpanProcessor[];
};

/** What the daemon's OTLP forwarding needs from the OpenTelemetry SDK, whichever line is installed. */
export interface OtlpSdk {
  OTLPTraceExporter: typeof OTLPTraceExporter;
  resourceFromAttributes: typeof resourceFromAttributes;
  newProvider(options: ProviderOptions): Provider;
  newBatchProcessor(exporter: SpanExporter): SpanProcessor;
}

export const OTLP_PACKAGES = [
  '@opentelemetry/exporter-trace-otlp-http',
  '@opentelemetry/sdk-trace-base',
  '@opentelemetry/resources',
];

type Constructor<A extends unknown[], T> = new (...args: A) => T;

/** sdk-trace-base 2.x: BasicTracerProvider, and BatchSpanProcessor(exporter). */
interface TraceBase {
  BasicTracerProvider?: Constructor<[ProviderOptions], Provider>;
  BatchSpanProcessor?: Constructor<[SpanExporter], SpanProcessor>;
}
/** sdk-trace (2.12+, and the only one in OpenTelemetry JS 3): TracerProvider, BatchSpanProcessor({ exporter }). */
interface Trace {
  TracerProvider?: Constructor<[ProviderOptions], Provider>;
  BatchSpanProcessor?: Constructor<[{ exporter: SpanExporter }], SpanProcessor>;
}

/**
 * Loaded only when the daemon is asked to forward: these are optional peer dependencies, because
 * an app and its SDKs pin the OpenTelemetry SDK at versions of their own (@mistralai/mistralai
 * peers exporter ^0.220), and a dependency of the guard on another line made installs fail.
 * OpenTelemetry JS 3 publishes only @opentelemetry/sdk-trace (sdk-trace-base 2.x became a shim
 * over it), whose constructors take options objects; either package is used.
 */
export function loadOtlpSdk(): OtlpSdk {
  const missing: string[] = [];
  const load = <T>(name: string, required = true): T | undefined => {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require(name) as T;
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'MODULE_NOT_FOUND') throw error;
      if (required) missing.push(name);
      return undefined;
    }
  };
  const exporter = load<Pick<OtlpSdk, 'OTLPTraceExporter'>>('@opentelemetry/exporter-trace-otlp-http');
  const base = load<TraceBase>('@opentelemetry/sdk-trace-base', false);
  const construct = constructorsOf(
    base,
    base?.BasicTracerProvider ? undefined : load<Trace>('@opentelemetry/sdk-trace', false),
  );
  if (!construct)
    missing.push('@opentelemetry/sdk-trace-base (or, for OpenTelemetry JS 3, @opentelemetry/sdk-trace)');
  const resources = load<Pick<OtlpSdk, 'resourceFromAttributes'>>('@opentelemetry/resources');
  if (!exporter || !construct || !resources) {
    throw new UsageError(
      `mima-guard daemon forwards over OTLP with the OpenTelemetry SDK, and cannot find ${missing.join(', ')}: ` +
        `npm install ${OTLP_PACKAGES.join(' ')} (or start the daemon without --otlp-endpoint and OTEL_EXPORTER_OTLP_ENDPOINT)`,
    );
  }
  return { ...exporter, ...resources, ...construct };
}

function constructorsOf(
  base: TraceBase | undefined,
  tracing: Trace | undefined,
): Pick<OtlpSdk, 'newProvider' | 'newBatchProcessor'> | undefined {
  const { BasicTracerProvider, BatchSpanProcessor } = base ?? {};
  if (BasicTracerProvider && BatchSpanProcessor) {
    return {
      newProvider: (options) => new BasicTracerProvider(options),
      newBatchProcessor: (exporter) => new BatchSpanProcessor(exporter),
    };
  }
  const { TracerProvider, BatchSpanProcessor: Batch } = tracing ?? {};
  if (TracerProvider && Batch) {
    return {
      newProvider: (options) => new TracerProvider(options),
      newBatchProcessor: (exporter) => new Batch({ exporter }),
    };
  }
  return undefined;
}
