import { AsyncLocalStorage } from 'node:async_hooks';
import * as path from 'node:path';
import { context } from '@opentelemetry/api';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { OpenAIInstrumentation } from '@opentelemetry/instrumentation-openai';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { enableGuard, getGuardStatus } from '../src';
import type { MimaGuardConfig, Mode } from '../src';
import { allPatches, isGuardWrapper } from '../src/app/patch';
import { envString } from './child';

/**
 * The two process configurations the in-process and loopback cases run in:
 * - otel: a traced app. NodeTracerProvider registered (AsyncLocalStorage context manager,
 *   recording spans, a BatchSpanProcessor whose exporter drops them): attest() carries its flag
 *   in the OTel context, an unattested call's `mima.ai_call` span is recorded.
 * - none: no OpenTelemetry SDK at all: no context manager, no tracer provider; attest() carries
 *   its flag in the guard's own AsyncLocalStorage.
 */
export type Setup = 'otel' | 'none';

export const SETUP_LABELS: Record<Setup, string> = {
  otel: 'OTel SDK (ALS context manager)',
  none: 'no OTel SDK (own store)',
};

export function parseSetup(arg: string | undefined): Setup {
  if (arg !== 'otel' && arg !== 'none') throw new Error(`unknown setup ${arg}; expected otel or none`);
  return arg;
}

/**
 * Registers the tracer provider of a traced app and uses its context manager once: its store turns
 * on at the first context.with(), which a traced app reaches at its first span; doing it here keeps
 * attest() from being the one that turns it on, which would be charged to the guard.
 */
export function registerTracing(): void {
  const provider = new NodeTracerProvider({
    spanProcessors: [
      new BatchSpanProcessor({
        export: (_spans, done) => done({ code: 0 }),
        shutdown: async () => undefined,
      }),
    ],
  });
  provider.register();
  context.with(context.active(), () => undefined);
}

export function applySetup(setup: Setup): void {
  if (setup === 'otel') registerTracing();
}

/**
 * The guard with its JSONL report in the bench's temp dir (never ~/.mima) and a daemon socket
 * there that nothing listens on (never a daemon that happens to run on the machine). The report
 * never rotates, so that every unattested call's line can be counted in the one file.
 */
export function enableBenchGuard(mode: Mode = 'report', config: MimaGuardConfig = {}): void {
  const dir = envString('BENCH_TMP_DIR');
  enableGuard({
    mode,
    logFile: path.join(dir, `guard-${process.pid}.jsonl`),
    socketPath: path.join(dir, 'no-daemon.sock'),
    maxBytes: 2 ** 40,
    ...config,
  });
}

export function guardLogFile(): string {
  return getGuardStatus().logFile;
}

/** The peer: OpenTelemetry's own openai instrumentation, registered the documented way. */
export function registerPeer(): OpenAIInstrumentation {
  const instrumentation = new OpenAIInstrumentation();
  registerInstrumentations({ instrumentations: [instrumentation] });
  return instrumentation;
}

export type OpenAIModule = typeof import('openai');

/** Loaded after the guard (and the peer) are enabled, as an app does, so their module hooks patch it. */
export async function loadOpenAI(): Promise<OpenAIModule> {
  const openai = await import('openai');
  const method = (openai.OpenAI.prototype as unknown as Record<string, unknown>).methodRequest;
  if (!isGuardWrapper(method)) throw new Error('the guard did not patch openai');
  return openai;
}

/**
 * A client without the guard: every method the guard patched on its class (openai's methodRequest,
 * request, requestAPIList, getAPIList) is given back as the SDK's own, as an own property of this
 * instance only.
 */
export function withoutGuard<T extends object>(client: T, proto: object): T {
  const patched = allPatches().filter((patch) => patch.owner === proto);
  if (patched.length === 0) throw new Error('no guard patch on the client class');
  for (const patch of patched) {
    Object.defineProperty(client, patch.method, { value: patch.original, configurable: true });
  }
  return client;
}

const entered = new Set<AsyncLocalStorage<unknown>>();
const ignored = new Set<AsyncLocalStorage<unknown>>();

/**
 * Records every AsyncLocalStorage that is entered (run or enterWith), whoever created it (the
 * guard's store is private; a new entry is how it shows). Stores passed to ignoreStore() are the
 * bench's own reference stores and are not counted.
 */
export function installStoreSpy(): void {
  type Method = (...args: unknown[]) => unknown;
  const proto = AsyncLocalStorage.prototype as unknown as Record<'run' | 'enterWith', Method>;
  for (const name of ['run', 'enterWith'] as const) {
    const original = proto[name];
    proto[name] = function (this: AsyncLocalStorage<unknown>, ...args: unknown[]) {
      if (!ignored.has(this)) entered.add(this);
      return Reflect.apply(original, this, args);
    };
  }
}

export function ignoreStore(store: AsyncLocalStorage<unknown>): void {
  ignored.add(store);
}

export function storesEntered(): number {
  return entered.size;
}
