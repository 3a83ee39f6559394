import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { Mode } from '../../src/app/types';
import { useGuard } from './guard';

export interface RecordSpansOptions {
  /** The guard's mode while the suite runs; none: the default. */
  mode?: Mode;
  /** Install an async context manager, for tests that run calls under a caller span. */
  activeContext?: boolean;
}

/**
 * Registers mocha hooks for the enclosing describe that send the guard's spans to an in-memory
 * exporter (emptied before each test), and afterwards hand the guard back the global provider.
 */
export function recordSpans({ mode, activeContext = false }: RecordSpansOptions = {}) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

  before(() => {
    if (activeContext) context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    useGuard(mode ? { mode } : {}).setTracerProvider(provider);
  });
  beforeEach(() => exporter.reset());
  after(async () => {
    useGuard().setTracerProvider(trace.getTracerProvider());
    if (activeContext) context.disable();
    await provider.shutdown();
  });

  return { exporter, provider };
}
