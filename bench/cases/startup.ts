import { spawnSync } from 'node:child_process';
import { scenarioFile, type ScenarioResult } from '../child';
import { makeFigure, textTable } from '../figures';
import { compare, signed } from '../stats';
import type { CaseContext, CaseOutcome } from './context';

const VARIANTS = {
  bare: "require('openai')",
  guard: "guard's require + enableGuard(), then require('openai')",
  peer: "registerInstrumentations(instrumentation-openai), then require('openai')",
  floor: "an InstrumentationBase subclass hooking openai, no patch, then require('openai')",
} as const;
type Variant = keyof typeof VARIANTS;

/** One child process: ms from spawn to exit, and the child's own ms from its time origin to its end. */
function startOnce(ctx: CaseContext, variant: Variant): { wall: number; inside: number } {
  const start = process.hrtime.bigint();
  const child = spawnSync(process.execPath, [scenarioFile('startup'), variant], {
    env: { ...process.env, ...ctx.env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  const wall = Number(process.hrtime.bigint() - start) / 1e6;
  if (child.status !== 0) throw new Error(`start-up ${variant} exited with ${child.status}: ${child.stderr}`);
  const result = JSON.parse(child.stdout.trim().split('\n').pop() ?? '') as ScenarioResult;
  if (result.facts.patched !== true) throw new Error(`start-up ${variant}: openai was not patched`);
  return { wall, inside: Number(result.facts.ms) };
}

/**
 * Start-up: repeated child processes of each variant, interleaved (the order rotates every round).
 * Added ms are medians over rounds of (variant - bare) of the same round.
 */
export async function startupCase(ctx: CaseContext): Promise<CaseOutcome> {
  const names = Object.keys(VARIANTS) as Variant[];
  const wall: Record<Variant, number[]> = { bare: [], guard: [], peer: [], floor: [] };
  const inside: Record<Variant, number[]> = { bare: [], guard: [], peer: [], floor: [] };
  for (const variant of names) startOnce(ctx, variant); // warm the file system cache
  for (let round = 0; round < ctx.sizes.startupRuns; round++) {
    for (let i = 0; i < names.length; i++) {
      const variant = names[(round + i) % names.length];
      const run = startOnce(ctx, variant);
      wall[variant].push(run.wall);
      inside[variant].push(run.inside);
    }
  }
  const guard = compare(wall.guard, wall.bare);
  const peer = compare(wall.peer, wall.bare);
  const guardInside = compare(inside.guard, inside.bare);
  const peerInside = compare(inside.peer, inside.bare);
  const floor = compare(wall.floor, wall.bare);
  const floorInside = compare(inside.floor, inside.bare);
  ctx.print(`${ctx.sizes.startupRuns} processes per variant, interleaved`);
  ctx.print(
    textTable(
      ['variant', 'median ms (spawn to exit)', 'added ms', 'in-process ms', 'added ms'],
      [
        [VARIANTS.bare, guard.base.toFixed(1), '', guardInside.base.toFixed(1), ''],
        [
          VARIANTS.guard,
          guard.value.toFixed(1),
          signed(guard.diff, 1),
          guardInside.value.toFixed(1),
          signed(guardInside.diff, 1),
        ],
        [
          VARIANTS.peer,
          peer.value.toFixed(1),
          signed(peer.diff, 1),
          peerInside.value.toFixed(1),
          signed(peerInside.diff, 1),
        ],
        [
          VARIANTS.floor,
          floor.value.toFixed(1),
          signed(floor.diff, 1),
          floorInside.value.toFixed(1),
          signed(floorInside.diff, 1),
        ],
      ],
    ),
  );
  return {
    figures: [
      makeFigure({
        id: 'startup',
        figure: "start-up: guard's added ms vs the peer's, same run",
        setup: `${ctx.sizes.startupRuns} processes each`,
        value: guard.diff / peer.diff,
        unit: '×',
        measured:
          `${(guard.diff / peer.diff).toFixed(2)}× (guard ${signed(guard.diff, 1)} ms, peer ${signed(peer.diff, 1)} ms, ` +
          `an InstrumentationBase that only hooks ${signed(floor.diff, 1)} ms; bare ${guard.base.toFixed(0)} ms)`,
        target: { op: '<=', value: 0.5, text: "≤ 0.5× the peer's" },
      }),
    ],
    details: {
      wall: { guard, peer, floor },
      inProcess: { guard: guardInside, peer: peerInside, floor: floorInside },
    },
  };
}
