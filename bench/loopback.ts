import * as path from 'node:path';
import type { OpenAI } from 'openai';
import { startService } from './child';

export interface LoopbackServer {
  port: number;
  /** Stops the server process; resolves with the number of requests it answered. */
  close(): Promise<number>;
}

/** Starts build/bench/loopback-server.js in its own process and waits for its port. */
export async function startLoopbackServer(): Promise<LoopbackServer> {
  const service = await startService(path.join(__dirname, 'loopback-server.js'), []);
  return {
    port: Number(service.ready.port),
    close: async () => Number((await service.stop()).requests),
  };
}

/**
 * A client of the loopback server. `host`: the name it is reached by; 'localhost' is the name the
 * bench lists in the guard's networkHosts, so that its requests go through the network backstop's
 * whole check, as a call to api.openai.com does (127.0.0.1 is not listed: its requests stop at the
 * host lookup).
 */
export function makeClient(OpenAIClass: typeof OpenAI, port: number, host = '127.0.0.1'): OpenAI {
  return new OpenAIClass({
    apiKey: 'bench-key',
    baseURL: `http://${host}:${port}/v1`,
    maxRetries: 0,
    timeout: 10_000,
  });
}

/** The call every loopback scenario times. */
export async function chat(client: OpenAI): Promise<string | null> {
  const reply = await client.chat.completions.create({
    model: 'gpt-bench',
    messages: [{ role: 'user', content: 'ping' }],
  });
  return reply.choices[0].message.content;
}

/** Microseconds one call takes. */
export async function timeCall(call: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await call();
  return Number(process.hrtime.bigint() - start) / 1e3;
}

/** A small seeded PRNG (mulberry32), so a run's orders can be repeated. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function shuffled<T>(items: readonly T[], next: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * Runs the variants' calls in short batches, every round in a new random order, so drift in
 * machine speed reaches every variant alike and no variant always follows the same other one
 * (whose after-effects, a JSONL write or a span export, would land on it). The first
 * `warmupRounds` rounds (JIT, keep-alive sockets) are not recorded. Returns µs per call, every
 * call, per variant.
 */
export async function interleavedCalls(
  calls: Record<string, () => Promise<unknown>>,
  options: { rounds: number; warmupRounds: number; batch: number; between?: () => Promise<void> },
): Promise<Record<string, number[]>> {
  const names = Object.keys(calls);
  const samples: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  const next = random(process.pid);
  for (let round = 0; round < options.warmupRounds + options.rounds; round++) {
    for (const name of shuffled(names, next)) {
      for (let call = 0; call < options.batch; call++) {
        const micros = await timeCall(calls[name]);
        if (round >= options.warmupRounds) samples[name].push(micros);
      }
      await options.between?.();
    }
  }
  return samples;
}
