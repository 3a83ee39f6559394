/**
 * An app with no OTel context manager that never calls attest(), µs per openai loopback call.
 * Argument: 'guard' or 'noguard'.
 *
 * guard: the guard enabled (report mode), its calls attested through a MimaGovernance.wrap()
 *   client, so no call is unattested and nothing calls attest(). Interleaved in the process:
 *   - no guard: a client with the SDK's own request methods (own properties): the guard's wrappers are
 *     never called;
 *   - guard, wrap() client: the same call through the guard's wrapper;
 *   - reference: the no-guard call inside run() of an AsyncLocalStorage of the bench's own, which
 *     is disabled again after each batch: what an active store costs the call, in the same process.
 *   And ns per `await null`, with and without that reference store active. The checks count every
 *   other AsyncLocalStorage entered (none may be: the guard must not create its store here).
 * noguard: the guard is never loaded; the plain call only (three clients taking turns, as many
 *   calls as the guard process makes), for the cross-process check.
 */
import { AsyncLocalStorage, createHook } from 'node:async_hooks';
import * as fs from 'node:fs';
import { envNumber, report, runMain } from '../child';
import { chat, interleavedCalls, makeClient } from '../loopback';

async function awaitLoop(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await null;
}

async function nsPerAwait(n: number): Promise<number> {
  const start = process.hrtime.bigint();
  await awaitLoop(n);
  return Number(process.hrtime.bigint() - start) / n;
}

/** Async resources (promises, sockets, timers) one call creates: each pays the store's hook. */
async function asyncResourcesPerCall(call: () => Promise<unknown>, calls = 20): Promise<number> {
  let created = 0;
  const hook = createHook({ init: () => void created++ }).enable();
  for (let i = 0; i < calls; i++) await call();
  hook.disable();
  return Math.round(created / calls);
}

runMain(async () => {
  const config = process.argv[2];
  if (config !== 'guard' && config !== 'noguard') throw new Error(`unknown config ${config}`);
  const port = envNumber('BENCH_PORT', 0);
  const options = {
    rounds: envNumber('BENCH_LOOPBACK_ROUNDS', 40),
    warmupRounds: envNumber('BENCH_LOOPBACK_WARMUP_ROUNDS', 4),
    batch: envNumber('BENCH_LOOPBACK_BATCH', 10),
  };

  if (config === 'noguard') {
    // Three clients, as the guard process has three variants: both processes make as many calls,
    // so the JIT has done as much for each.
    const { OpenAI } = await import('openai');
    const [a, b, c] = [0, 1, 2].map(() => makeClient(OpenAI, port));
    const calls = { 'no guard': () => chat(a), 'no guard, b': () => chat(b), 'no guard, c': () => chat(c) };
    report({ samples: await interleavedCalls(calls, options), facts: {} });
    return;
  }

  // Loaded here only: the noguard process never loads the guard.
  const setup = await import('../setup');
  const { disableGuard, MimaGovernance } = await import('../../src');
  const { ownStoreCreated } = await import('../../src/app/attestation');
  setup.installStoreSpy();
  setup.enableBenchGuard('report');
  const { OpenAI } = await setup.loadOpenAI();
  const bare = setup.withoutGuard(makeClient(OpenAI, port), OpenAI.prototype);
  const wrapped = new MimaGovernance({ systemName: 'bench' }).wrap(makeClient(OpenAI, port));
  const reference = new AsyncLocalStorage<number>();
  setup.ignoreStore(reference);

  const samples = await interleavedCalls(
    {
      'no guard': () => chat(bare),
      'guard, wrap() client': () => chat(wrapped),
      'no guard, AsyncLocalStorage active (reference)': () => reference.run(1, () => chat(bare)),
    },
    { ...options, between: async () => reference.disable() },
  );

  const awaits = envNumber('BENCH_AWAITS', 200_000);
  samples['await, no store'] = [];
  samples['await, store active'] = [];
  for (let rep = 0; rep < 6; rep++) {
    const ns = await nsPerAwait(awaits);
    const active = await reference.run(1, () => nsPerAwait(awaits));
    reference.disable();
    if (rep === 0) continue; // warm-up
    samples['await, no store'].push(ns);
    samples['await, store active'].push(active);
  }

  const file = setup.guardLogFile();
  await disableGuard(); // flushes the JSONL report, which must be empty: every call was attested
  const records = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0;
  report({
    samples,
    facts: {
      storesEntered: setup.storesEntered(),
      ownStoreCreated: ownStoreCreated(),
      unattestedRecords: records,
      asyncResourcesPerCall: await asyncResourcesPerCall(() => chat(bare)),
    },
  });
});
