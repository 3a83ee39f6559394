/**
 * Where an unattested call's added CPU goes, profiled inside real openai loopback calls (issue 18
 * asks for `--cpu-prof` in a real call, not only in a loop). Chunks of calls through a client
 * without the guard and through one the guard reports (report mode, a host the network backstop
 * does not list) take turns, each chunk under the inspector's sampling profiler. Every sample is
 * put in the part of the guard whose code is on its stack (or else in the call itself), and the
 * parts are printed in µs of CPU per call for both clients. The guard is enabled for both, so the
 * network backstop's request listener and, without the OTel SDK, the own store are on for both:
 * the difference is the unattested call's own. A diagnostic, not a target:
 *
 *   node build/bench/unattested-split.js [otel|none] [calls]     (after a build; about a minute)
 */
import * as fs from 'node:fs';
import * as inspector from 'node:inspector/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { OpenAI as OpenAIClient } from 'openai';
import { disableGuard, enableGuard, withAttested } from '../src';
import { activeGuard } from '../src/app/guard';
import { chat, makeClient, startLoopbackServer } from './loopback';
import { applySetup, parseSetup, withoutGuard } from './setup';

type Frame = { functionName: string; url: string };
type Profile = {
  nodes: { id: number; callFrame: Frame; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
};

const OWN = `${path.sep}build${path.sep}src${path.sep}`;
const own = (frame: Frame) => frame.url.includes(OWN);

/**
 * The parts, first match wins: a span started in the record job counts as the span. A part is
 * matched anywhere on a sample's stack, except the last: the SDK call runs under the guard's
 * wrapper, so only the guard's own code at the top of the stack is its.
 */
const PARTS: [string, (frame: Frame) => boolean][] = [
  ['stack walk for the code location', (f) => own(f) && /^captureCallLocation/.test(f.functionName)],
  ['the mima.ai_call span', (f) => f.url.includes('@opentelemetry/sdk-trace') || f.url.includes('span-sink')],
  ['JSONL line and file writes', (f) => /jsonl-sink|jsonl-batch|log-file|rotation|file-lock/.test(f.url)],
  ['network backstop (request listener)', (f) => own(f) && f.url.includes(`${path.sep}network${path.sep}`)],
  [
    'record job (record, warning, sinks)',
    (f) => own(f) && /^(drainPendingRecords|finish)$/.test(f.functionName),
  ],
];
const OTHER = 'guard, other (wrapper, check, covered run)';
const GC = 'garbage collector';
const REST = 'the call itself (openai, undici, Node)';

/** CPU µs per part over one profile (idle time left out). */
function split(profile: Profile): Map<string, number> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const parts = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const leaf = byId.get(profile.samples[i])!.callFrame;
    if (leaf.functionName === '(idle)' || leaf.functionName === '(program)') continue;
    const stack: Frame[] = [];
    for (let id: number | undefined = profile.samples[i]; id !== undefined; id = parent.get(id)) {
      stack.push(byId.get(id)!.callFrame);
    }
    const part =
      PARTS.find(([, matches]) => stack.some(matches))?.[0] ??
      (own(leaf) ? OTHER : leaf.functionName === '(garbage collector)' ? GC : REST);
    parts.set(part, (parts.get(part) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  return parts;
}

async function main(): Promise<void> {
  const setup = parseSetup(process.argv[2] ?? 'otel');
  const calls = Number(process.argv[3] ?? 2000);
  const chunk = 100;
  applySetup(setup);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-unattested-split-')); // 0700
  const server = await startLoopbackServer();
  const session = new inspector.Session();
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- patched through `modules`
    const openai = require('openai') as { OpenAI: typeof OpenAIClient };
    enableGuard({
      mode: 'report',
      modules: { openai },
      logFile: path.join(dir, 'guard.jsonl'),
      socketPath: path.join(dir, 'no-daemon.sock'),
    });
    // Without a context manager the first covered or attested run creates the own store for good,
    // and every promise pays for it after: created here, for both clients alike.
    withAttested(() => undefined);
    const clients = {
      bare: withoutGuard(makeClient(openai.OpenAI, server.port), openai.OpenAI.prototype),
      unattested: makeClient(openai.OpenAI, server.port),
    };
    for (let i = 0; i < 300; i++) for (const client of Object.values(clients)) await chat(client);

    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 50 });
    const totals = { bare: new Map<string, number>(), unattested: new Map<string, number>() };
    for (let done = 0; done < calls; done += chunk) {
      for (const variant of done % (2 * chunk)
        ? (['unattested', 'bare'] as const)
        : (['bare', 'unattested'] as const)) {
        await session.post('Profiler.start');
        for (let i = 0; i < chunk; i++) await chat(clients[variant]);
        // The chunk's JSONL lines are written inside its own profile, not during the next chunk's.
        await activeGuard()?.reporting.jsonl.flush();
        const { profile } = (await session.post('Profiler.stop')) as { profile: Profile };
        for (const [part, µs] of split(profile))
          totals[variant].set(part, (totals[variant].get(part) ?? 0) + µs);
      }
    }
    print(setup, calls, totals);
  } finally {
    session.disconnect();
    await disableGuard();
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function print(
  setup: string,
  calls: number,
  totals: Record<'bare' | 'unattested', Map<string, number>>,
): void {
  const perCall = (variant: 'bare' | 'unattested', part: string) => (totals[variant].get(part) ?? 0) / calls;
  const parts = [...PARTS.map(([name]) => name), OTHER, GC, REST];
  const sum = (variant: 'bare' | 'unattested') => parts.reduce((s, part) => s + perCall(variant, part), 0);
  console.log(`CPU µs per call, ${calls} calls per client, setup ${setup} (node ${process.version})`);
  console.log(
    `${'part'.padEnd(44)} ${'no guard'.padStart(9)} ${'unattested'.padStart(11)} ${'added'.padStart(8)}`,
  );
  for (const part of [...parts, 'total']) {
    const bare = part === 'total' ? sum('bare') : perCall('bare', part);
    const unattested = part === 'total' ? sum('unattested') : perCall('unattested', part);
    const cells = [
      bare.toFixed(1).padStart(9),
      unattested.toFixed(1).padStart(11),
      (unattested - bare).toFixed(1).padStart(8),
    ];
    console.log(`${part.padEnd(44)} ${cells.join(' ')}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
