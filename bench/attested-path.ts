/**
 * Where an attested call's added time goes, timed inside real openai loopback calls. The calls take
 * turns, in a new order every turn, between no guard, a plain wrapper of the SDK method (no check),
 * a bare AsyncLocalStorage.run(), attest()'s context switch alone (the OTel context's, and the own
 * store's where no context manager carries the flag) around an unpatched client, and the guard
 * attested. Each call is stamped before the user's function is called, when it starts, and when
 * the SDK's own `methodRequest` starts (under any wrapper): the first span is attest()'s wrapper
 * and context switch, the second openai's code from `create` to `methodRequest` plus the wrapper
 * and its check. The loopback row of `npm run bench` cannot resolve a few µs in a 1.7 ms call (its
 * A/A control moves by about 1 %); these spans can. A diagnostic, not a target:
 *
 *   node build/bench/attested-path.js [otel|none] [calls]     (after a build; about a minute)
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { OpenAI as OpenAIClient } from 'openai';
import { attest, disableGuard, enableGuard } from '../src';
import { ATTESTED_KEY, runFlagged } from '../src/app/attestation';
import { chat, makeClient, startLoopbackServer } from './loopback';
import { applySetup, parseSetup, withoutGuard } from './setup';
import { median } from './stats';

type Method = (this: unknown, ...args: unknown[]) => unknown;
type Spans = { toStart: number[]; toRequest: number[]; total: number[] };

const now = () => process.hrtime.bigint();
const µs = (from: bigint, to: bigint) => Number(to - from) / 1000;

async function main(): Promise<void> {
  const setup = parseSetup(process.argv[2] ?? 'otel');
  const calls = Number(process.argv[3] ?? 3000);
  applySetup(setup);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-attested-path-')); // 0700
  const server = await startLoopbackServer();
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- patched below, through `modules`
    const openai = require('openai') as { OpenAI: typeof OpenAIClient };
    const proto = openai.OpenAI.prototype as unknown as { methodRequest: Method };
    const sdkMethodRequest = proto.methodRequest;
    let reached = 0n;
    // The SDK's own method, stamped: the guard wraps this one, so its stamp is taken under the guard.
    proto.methodRequest = function methodRequest(this: unknown, ...args: unknown[]) {
      reached = now();
      return sdkMethodRequest.apply(this, args);
    };
    enableGuard({
      mode: 'report',
      modules: { openai },
      logFile: path.join(dir, 'guard.jsonl'),
      socketPath: path.join(dir, 'no-daemon.sock'),
    });
    const bare = withoutGuard(makeClient(openai.OpenAI, server.port), openai.OpenAI.prototype);
    const alone = withoutGuard(makeClient(openai.OpenAI, server.port), openai.OpenAI.prototype);
    const plain = withoutGuard(makeClient(openai.OpenAI, server.port), openai.OpenAI.prototype);
    // One wrapper layer of any instrumentation's, with no check in it: what patching alone costs.
    const stamped = (plain as unknown as { methodRequest: Method }).methodRequest;
    const wrapped = withoutGuard(makeClient(openai.OpenAI, server.port), openai.OpenAI.prototype);
    Object.defineProperty(wrapped, 'methodRequest', {
      value: function methodRequest(this: unknown, ...args: unknown[]) {
        return stamped.apply(this, args);
      },
    });
    const guarded = makeClient(openai.OpenAI, server.port);
    const storage = new AsyncLocalStorage<boolean>();
    let started = 0n;
    const variants: Record<string, () => Promise<unknown>> = {
      'no guard': () => {
        started = now();
        return chat(bare);
      },
      // The least that carries a flag through async work: one run() of a storage of its own.
      'a bare AsyncLocalStorage.run()': () =>
        storage.run(true, () => {
          started = now();
          return chat(plain);
        }),
      'a plain wrapper of methodRequest': () => {
        started = now();
        return chat(wrapped);
      },
      "attest()'s context switch alone": () =>
        runFlagged(
          ATTESTED_KEY,
          true,
          () => {
            started = now();
            return chat(alone);
          },
          undefined,
          [],
        ),
      'guard, attested': attest(() => {
        started = now();
        return chat(guarded);
      }),
    };
    const spans: Record<string, Spans> = {};
    for (const name of Object.keys(variants)) spans[name] = { toStart: [], toRequest: [], total: [] };
    const order = Object.entries(variants);
    for (let i = 0; i < calls + 300; i++) {
      // A new order every turn: a variant that always followed the same one would inherit its
      // after-effects (warm caches, a pending write).
      for (let j = order.length - 1; j > 0; j--) {
        const k = Math.floor(Math.random() * (j + 1));
        [order[j], order[k]] = [order[k], order[j]];
      }
      for (const [name, call] of order) {
        const before = now();
        await call();
        const after = now();
        if (i < 300) continue; // warm-up: JIT, keep-alive sockets
        spans[name].toStart.push(µs(before, started));
        spans[name].toRequest.push(µs(started, reached));
        spans[name].total.push(µs(before, after));
      }
    }
    console.log(
      `attested path, median µs of ${calls} openai loopback calls each (${setup}, ${process.version})`,
    );
    console.log(
      `${'variant'.padEnd(34)} ${'call → fn'.padStart(10)} ${'fn → SDK'.padStart(10)} ${'whole call'.padStart(11)}`,
    );
    for (const [name, s] of Object.entries(spans)) {
      console.log(
        `${name.padEnd(34)} ${median(s.toStart).toFixed(2).padStart(10)} ${median(s.toRequest).toFixed(2).padStart(10)} ${median(s.total).toFixed(1).padStart(11)}`,
      );
    }
    await disableGuard();
  } finally {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main();
