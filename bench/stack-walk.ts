/**
 * What V8's stack capture costs inside a real openai call, with no guard loaded: a plain wrapper
 * of `OpenAI.prototype.methodRequest` (the chokepoint the guard patches) times
 * `Error.captureStackTrace` at several frame limits, once per call, and a second capture right
 * after the first. The same captures in a loop, for comparison. A diagnostic for the unattested
 * call's floor, not a target:
 *
 *   node build/bench/stack-walk.js [calls]     (after a build; about a minute)
 */
import type { OpenAI as OpenAIClient } from 'openai';
import { chat, makeClient, startLoopbackServer } from './loopback';
import { median } from './stats';

type Method = (this: unknown, ...args: unknown[]) => unknown;

/** µs of one capture of `limit` frames below `below`; `twice`: time a second one, right after a first. */
function timedCapture(below: Method, limit: number, twice: boolean): number {
  const previous = Error.stackTraceLimit;
  Error.stackTraceLimit = limit;
  try {
    if (twice) Error.captureStackTrace({}, below);
    const start = process.hrtime.bigint();
    Error.captureStackTrace({}, below);
    return Number(process.hrtime.bigint() - start) / 1000;
  } finally {
    Error.stackTraceLimit = previous;
  }
}

async function main(): Promise<void> {
  const calls = Number(process.argv[2] ?? 2000);
  const server = await startLoopbackServer();
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the guard is never loaded here
    const OpenAI = (require('openai') as { OpenAI: typeof OpenAIClient }).OpenAI;
    const proto = OpenAI.prototype as unknown as { methodRequest: Method };
    const original = proto.methodRequest;
    const rows: string[] = [];
    for (const [limit, twice] of [
      [1, false],
      [3, false],
      [10, false],
      [1, true],
    ] as const) {
      const times: number[] = [];
      proto.methodRequest = function wrapper(this: unknown, ...args: unknown[]) {
        times.push(timedCapture(wrapper, limit, twice));
        return original.apply(this, args);
      };
      const client = makeClient(OpenAI, server.port);
      for (let i = 0; i < 300; i++) await chat(client);
      times.length = 0;
      for (let i = 0; i < calls; i++) await chat(client);
      const loop: number[] = [];
      const inLoop = function looped(): number {
        return timedCapture(looped, limit, twice);
      };
      for (let i = 0; i < calls; i++) loop.push(inLoop());
      const what = twice ? `${limit} frame(s), a second capture` : `${limit} frame(s)`;
      rows.push(
        `${what.padEnd(30)} ${median(times).toFixed(1).padStart(8)} µs in a call  ${median(loop).toFixed(1).padStart(6)} µs in a loop`,
      );
    }
    proto.methodRequest = original;
    console.log(
      `Error.captureStackTrace, median of ${calls} openai loopback calls, no guard (${process.version})`,
    );
    for (const row of rows) console.log(row);
  } finally {
    await server.close();
  }
}

void main();
