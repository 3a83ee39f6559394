/**
 * Section 1: one openai chat.completions.create over loopback HTTP, per call, in three
 * variants interleaved in one process. Argument: 'otel' (OTel context manager registered)
 * or 'standalone' (none: the guard's own store carries attest(), created before timing).
 */
import * as fs from 'node:fs';
import { attest, disableGuard } from '../../src';
import { allPatches } from '../../src/patch';
import { envNumber, report } from '../child';
import { chat, makeClient, timeCall } from '../loopback';
import { enableBenchGuard, loadOpenAI, logFile, registerContextManager } from '../setup';

const VARIANTS = ['no guard', 'guard, inside attest()', 'guard, unattested (report mode)'] as const;
type Variant = (typeof VARIANTS)[number];

async function main(): Promise<void> {
  const setup = process.argv[2];
  if (setup !== 'otel' && setup !== 'standalone') throw new Error(`unknown setup ${setup}`);
  const batch = envNumber('BENCH_CALLS', 10);
  const innerRounds = envNumber('BENCH_INNER_ROUNDS', 15);
  const port = envNumber('BENCH_PORT', 0);

  if (setup === 'otel') registerContextManager();
  enableBenchGuard('report');
  const { OpenAI } = await loadOpenAI();
  // All three clients share one copy of openai, so they run the same JIT-compiled SDK code
  // (separate copies, or a guard switched off and on, differed by more than the guard does).
  // The unguarded client gets the SDK's own methodRequest back as an own property.
  const unguarded = makeClient(OpenAI, port);
  const original = allPatches().find((patch) => patch.owner === OpenAI.prototype)?.original;
  if (!original) throw new Error('no guard patch on OpenAI.prototype');
  Object.defineProperty(unguarded, 'methodRequest', { value: original, configurable: true });
  const attestedClient = makeClient(OpenAI, port);
  const unattestedClient = makeClient(OpenAI, port);
  const attested = attest(() => chat(attestedClient));
  // Without a context manager the first attest() creates the guard's store for good; it is
  // created here so that every variant runs with it and the table shows per-call costs only.
  if (setup === 'standalone') await attested();

  const calls: Record<Variant, () => Promise<unknown>> = {
    'no guard': () => chat(unguarded),
    'guard, inside attest()': attested,
    'guard, unattested (report mode)': () => chat(unattestedClient),
  };
  const samples: Record<string, number[]> = {};
  let unattestedCalls = 0;

  // Short batches in many rounds, so drift in machine speed reaches every variant alike. The
  // first rounds warm up the JIT and the keep-alive socket and are not recorded.
  const warmupRounds = 3;
  for (let round = 0; round < warmupRounds + innerRounds; round++) {
    for (let i = 0; i < VARIANTS.length; i++) {
      const variant = VARIANTS[(round + i) % VARIANTS.length];
      for (let call = 0; call < batch; call++) {
        const micros = await timeCall(calls[variant]);
        if (round >= warmupRounds) (samples[variant] ??= []).push(micros);
      }
      if (variant === 'guard, unattested (report mode)') unattestedCalls += batch;
    }
  }

  const file = logFile();
  await disableGuard(); // flushes the JSONL report
  const records = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0;
  report({ samples, facts: { records, expectedRecords: unattestedCalls } });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
