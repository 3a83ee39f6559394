/**
 * Section 3: isAttested() and the patched method's attested path, in ns per call. Argument:
 * 'none' (no context manager: the guard's own store) or 'otel' (OTel context manager).
 */
import { attest, isAttested, withAttested } from '../../src';
import { ownStoreCreated } from '../../src/attestation';
import { patchMethod } from '../../src/patch';
import { openai } from '../../src/sdks/openai';
import { envNumber, report } from '../child';
import { installStoreSpy, registerContextManager, storesEntered } from '../setup';

/** Stands in for the SDK client: methodRequest(method, path, opts) as openai has it. */
class Client {
  count = 0;
  methodRequest(_method: string, path: string, _opts: object): number {
    this.count += path.length;
    return this.count;
  }
}
class PatchedClient extends Client {}
patchMethod(openai, PatchedClient.prototype, 'methodRequest', {
  version: 'bench',
  patchPoint: 'bench',
  active: false,
});

const OPTS = { body: {} };

function isAttestedLoop(n: number): number {
  let hits = 0;
  for (let i = 0; i < n; i++) if (isAttested()) hits++;
  return hits;
}

// Two identical loops, so each call site only ever sees one method and V8 treats both alike.
function originalLoop(client: Client, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += client.methodRequest('post', '/chat/completions', OPTS);
  return sum;
}

function patchedLoop(client: Client, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += client.methodRequest('post', '/chat/completions', OPTS);
  return sum;
}

const work = () => 1;
const attestedWork = attest(work);

// Same again for a plain function and its attest() wrapper.
function plainCallLoop(n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += work();
  return sum;
}

function attestedCallLoop(n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += attestedWork();
  return sum;
}

function nsPerOp(n: number, loop: () => number): number {
  const start = process.hrtime.bigint();
  loop();
  return Number(process.hrtime.bigint() - start) / n;
}

/** Throws (exit code 1) on a bad setup or a wrong loop result. */
function main(): void {
  const setup = process.argv[2];
  if (setup !== 'none' && setup !== 'otel') throw new Error(`unknown setup ${setup}`);
  const n = envNumber('BENCH_OPS', 500_000);
  const reps = envNumber('BENCH_INNER_ROUNDS', 3);
  const samples: Record<string, number[]> = {};
  const facts: Record<string, string | number | boolean> = {};
  /** One sample of `loop`, checked against the result it must return when one is given. */
  const measure = (name: string, loop: () => number, expected?: number) => {
    const ns = nsPerOp(n, () => {
      const result = loop();
      if (expected !== undefined && result !== expected) throw new Error(`${name}: got ${result}`);
      return result;
    });
    (samples[name] ??= []).push(ns);
  };

  installStoreSpy();
  if (setup === 'otel') registerContextManager();
  const original = new Client();
  const patched = new PatchedClient();
  const variants: [name: string, loop: () => number, expected?: number][] = [
    ['isAttested(), not attested', () => isAttestedLoop(n), 0],
    ['isAttested(), attested', () => withAttested(() => isAttestedLoop(n)), n],
    ['original methodRequest', () => originalLoop(original, n)],
    ['patched methodRequest, attested', () => withAttested(() => patchedLoop(patched, n))],
    ['fn()', () => plainCallLoop(n), n],
    ['attest(fn)()', () => attestedCallLoop(n), n],
  ];

  if (setup === 'none') {
    // Measured before anything attests: the store does not exist yet. Rep 0 is the warm-up.
    for (let rep = 0; rep <= reps; rep++) measure('isAttested(), no store yet', () => isAttestedLoop(n), 0);
    samples['isAttested(), no store yet'].shift();
  }
  const before = storesEntered();
  withAttested(() => undefined);
  facts.newStoreEntered = storesEntered() > before;
  facts.ownStoreCreated = ownStoreCreated();

  for (let rep = 0; rep <= reps; rep++) {
    for (let i = 0; i < variants.length; i++) measure(...variants[(rep + i) % variants.length]);
  }
  for (const [name] of variants) samples[name].shift(); // rep 0 is the warm-up
  report({ samples, facts });
}

main();
