/**
 * One real openai `chat.completions.create` against the loopback server (its own process), µs
 * per call, in seven variants interleaved in one process: no guard, the same again with a second
 * client (an A/A control: the noise floor), the guard attested, attest()'s context switch alone
 * around an unpatched call (the part of the attested cost any attest() pays), the guard unattested in report
 * mode (to 127.0.0.1, a host the network backstop does not list, and to localhost, which it is
 * told to list, as a call to api.openai.com is), and the peer. Argument: the setup, 'otel' or 'none'.
 *
 * The guard and the peer (@opentelemetry/instrumentation-openai, registered through
 * registerInstrumentations) both patch the one loaded copy of openai: the guard
 * OpenAI.prototype's request methods, the peer Completions.prototype.create. Each client is left with
 * only the patch its variant measures: the others are set back, as own properties of that client
 * (or of its chat.completions), to the SDK's originals. All five share the same JIT-compiled SDK
 * code, which separate copies of openai, or patches switched off and on, do not.
 */
import * as fs from 'node:fs';
import { attest, disableGuard, withAttested } from '../../src';
import { ATTESTED_KEY, ownStoreCreated, runFlagged } from '../../src/app/attestation';
import { envNumber, report, runMain } from '../child';
import { chat, interleavedCalls, makeClient } from '../loopback';
import {
  applySetup,
  enableBenchGuard,
  guardLogFile,
  loadOpenAI,
  parseSetup,
  registerPeer,
  withoutGuard,
} from '../setup';

type Method = (...args: unknown[]) => unknown;

runMain(async () => {
  const setup = parseSetup(process.argv[2]);
  const port = envNumber('BENCH_PORT', 0);
  applySetup(setup);
  // Requests to localhost:<port> are the listed variant's; every other client calls 127.0.0.1.
  enableBenchGuard('report', { networkHosts: [`localhost:${port}`] });
  registerPeer();
  const { OpenAI } = await loadOpenAI();

  const peerCreate = OpenAI.Chat.Completions.prototype.create as unknown as Method & {
    __wrapped?: boolean;
    __original?: Method;
  };
  const create = peerCreate.__original;
  if (!peerCreate.__wrapped || !create) throw new Error('the peer did not patch Completions.create');

  const client = ({ guard, peer, host }: { guard: boolean; peer: boolean; host?: string }) => {
    const c = makeClient(OpenAI, port, host);
    if (!guard) withoutGuard(c, OpenAI.prototype);
    if (!peer) Object.defineProperty(c.chat.completions, 'create', { value: create, configurable: true });
    return c;
  };
  const bare = client({ guard: false, peer: false });
  const control = client({ guard: false, peer: false });
  const floor = client({ guard: false, peer: false });
  const guarded = client({ guard: true, peer: false });
  const unattestedClient = client({ guard: true, peer: false });
  const listedClient = client({ guard: true, peer: false, host: 'localhost' });
  const peered = client({ guard: false, peer: true });
  const attested = attest(() => chat(guarded));
  // Without a context manager the first attest() creates the guard's own store for good; it is
  // created here, so that every variant runs with it and the table shows per-call costs only.
  withAttested(() => undefined);

  let unattestedCalls = 0;
  const samples = await interleavedCalls(
    {
      'no guard': () => chat(bare),
      // Another client exactly like the first: its difference from it is the noise floor.
      'no guard, second client (A/A control)': () => chat(control),
      'guard, attested': attested,
      // What any attest() must do, alone: the context switch that carries the flag (the OTel
      // context, and the own store where no context manager carries it), around an unpatched call.
      'context switch alone (no guard)': () =>
        runFlagged(ATTESTED_KEY, true, () => chat(floor), undefined, []),
      'guard, unattested (report mode)': () => {
        unattestedCalls++;
        return chat(unattestedClient);
      },
      'guard, unattested, listed host (report mode)': () => {
        unattestedCalls++;
        return chat(listedClient);
      },
      peer: () => chat(peered),
    },
    {
      rounds: envNumber('BENCH_LOOPBACK_ROUNDS', 40),
      warmupRounds: envNumber('BENCH_LOOPBACK_WARMUP_ROUNDS', 4),
      batch: envNumber('BENCH_LOOPBACK_BATCH', 10),
    },
  );

  const file = guardLogFile();
  await disableGuard(); // flushes the JSONL report
  const records = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0;
  report({ samples, facts: { records, unattestedCalls, ownStoreCreated: ownStoreCreated() } });
});
