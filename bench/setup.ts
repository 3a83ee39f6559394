import { AsyncLocalStorage } from 'node:async_hooks';
import * as path from 'node:path';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { enableGuard, getGuardStatus } from '../src';
import type { Mode } from '../src';
import { isGuardWrapper } from '../src/patch';

/**
 * Registers the OTel AsyncLocalStorage context manager and uses it once. Its store turns on
 * at the first context.with(), which a traced app reaches at its first span; doing it here
 * keeps attest() from being the one that turns it on, which would be charged to the guard.
 */
export function registerContextManager(): void {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  context.with(context.active(), () => undefined);
}

/** The guard with its JSONL report in the bench's temp dir, never ~/.mima. */
export function enableBenchGuard(mode: Mode = 'report'): void {
  const dir = process.env.BENCH_TMP_DIR;
  if (!dir) throw new Error('BENCH_TMP_DIR is not set; run the scenarios through bench/run.ts');
  enableGuard({ mode, logFile: path.join(dir, `guard-${process.pid}.jsonl`) });
}

export function logFile(): string {
  return getGuardStatus().logFile;
}

export type OpenAIModule = typeof import('openai');

/** Loaded after enableBenchGuard(), as an app does, so the guard's module hook patches it. */
export async function loadOpenAI(): Promise<OpenAIModule> {
  const openai = await import('openai');
  const method = (openai.OpenAI.prototype as unknown as Record<string, unknown>).methodRequest;
  if (!isGuardWrapper(method)) throw new Error('the guard did not patch openai');
  return openai;
}

const entered = new Set<AsyncLocalStorage<unknown>>();

/**
 * Records every AsyncLocalStorage that is entered (run or enterWith), whoever created it.
 * The guard's store is private; a new entry during an attest() call is how it shows.
 */
export function installStoreSpy(): void {
  type Method = (...args: unknown[]) => unknown;
  const proto = AsyncLocalStorage.prototype as unknown as Record<'run' | 'enterWith', Method>;
  for (const name of ['run', 'enterWith'] as const) {
    const original = proto[name];
    proto[name] = function (this: AsyncLocalStorage<unknown>, ...args: unknown[]) {
      entered.add(this);
      return Reflect.apply(original, this, args);
    };
  }
}

export function storesEntered(): number {
  return entered.size;
}
