/**
 * Section 2: what an active AsyncLocalStorage costs every `await` in the app, and a loopback
 * openai call. Argument: 'none' | 'none+attest' | 'otel' | 'otel+attest' (OTel context
 * manager or not, one attest() call or none). One process per run: a store cannot be removed.
 */
import { createHook } from 'node:async_hooks';
import { attest, isAttested, MimaGovernance } from '../../src';
import { ownStoreCreated } from '../../src/attestation';
import { envNumber, report } from '../child';
import { chat, makeClient, timeCall } from '../loopback';
import {
  enableBenchGuard,
  installStoreSpy,
  loadOpenAI,
  registerContextManager,
  storesEntered,
} from '../setup';

async function awaitLoop(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await null;
}

async function nsPerAwait(n: number): Promise<number> {
  const start = process.hrtime.bigint();
  await awaitLoop(n);
  return Number(process.hrtime.bigint() - start) / n;
}

async function asyncResourcesPerCall(call: () => Promise<unknown>, calls = 20): Promise<number> {
  let created = 0;
  const hook = createHook({ init: () => void created++ }).enable();
  for (let i = 0; i < calls; i++) await call();
  hook.disable();
  return Math.round(created / calls);
}

async function main(): Promise<void> {
  const config = process.argv[2];
  if (!['none', 'none+attest', 'otel', 'otel+attest'].includes(config)) throw new Error(`unknown ${config}`);
  const awaits = envNumber('BENCH_AWAITS', 1_000_000);
  const reps = envNumber('BENCH_INNER_ROUNDS', 3);
  const calls = envNumber('BENCH_CALLS', 100);

  installStoreSpy();
  if (config.startsWith('otel')) registerContextManager();
  enableBenchGuard('report');
  const { OpenAI } = await loadOpenAI();
  // A wrapped client takes the guard's attested path without attest(), so the calls are the
  // same in every configuration and only the store differs.
  const client = new MimaGovernance({ systemName: 'bench' }).wrap(
    makeClient(OpenAI, envNumber('BENCH_PORT', 0)),
  );

  const facts: Record<string, string | number | boolean> = {};
  if (config.endsWith('+attest')) {
    const before = storesEntered();
    facts.attestedAfterAwait = await attest(async () => {
      await null;
      return isAttested();
    })();
    facts.newStoreEntered = storesEntered() > before;
  }
  facts.ownStoreCreated = ownStoreCreated();

  await awaitLoop(awaits / 5);
  for (let i = 0; i < calls / 2; i++) await chat(client);

  const samples: Record<string, number[]> = { await: [], call: [] };
  for (let rep = 0; rep < reps; rep++) {
    samples.await.push(await nsPerAwait(awaits));
    for (let i = 0; i < calls; i++) samples.call.push(await timeCall(() => chat(client)));
  }
  facts.storesEntered = storesEntered();
  // Every async resource (promise, socket, timer) created while a store is active runs its
  // propagation hook; counting them per call explains the call's share of the cost.
  if (config === 'none') facts.asyncResourcesPerCall = await asyncResourcesPerCall(() => chat(client));
  report({ samples, facts });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
