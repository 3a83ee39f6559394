import { trace, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';

let provider: TracerProvider | undefined;
let tracer: Tracer | undefined;

/**
 * The guard's tracer from the global TracerProvider as it is now, not as it was at start-up.
 * @opentelemetry/api 1.10 ships separate CommonJS and ES module builds, each with a proxy provider
 * of its own: a tracer taken early from the CommonJS copy's proxy stays a no-op after an ES module
 * app registers its provider through the other copy, while the global registry both read names the
 * registered one. Cached per provider, so a span costs one registry read.
 */
export function globalTracer(): Tracer {
  const current = trace.getTracerProvider();
  if (current !== provider || tracer === undefined) {
    provider = current;
    tracer = current.getTracer(PACKAGE_NAME, PACKAGE_VERSION);
  }
  return tracer;
}
