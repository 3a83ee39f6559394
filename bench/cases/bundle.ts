import * as fs from 'node:fs';
import * as esbuild from 'esbuild';
import { runScenario, scenarioFile, type ScenarioResult } from '../child';
import { makeFigure, textTable, type Figure } from '../figures';
import { median } from '../stats';
import type { CaseContext, CaseOutcome } from './context';

const VARIANTS = {
  maps: ['--enable-source-maps'],
  plain: [],
} as const;
type Variant = keyof typeof VARIANTS;

/**
 * An esbuild bundle of an app (bench/scenarios/bundle-app.ts) run with and without
 * --enable-source-maps, processes taking turns: the first unattested call and the steady state,
 * each from the call to the end of the guard's record job, and the event loop's longest stall.
 * The record must name the app's source file under source maps.
 */
export async function bundleCase(ctx: CaseContext): Promise<CaseOutcome> {
  const bundle = scenarioFile('bundle-app.bundle');
  await esbuild.build({
    entryPoints: [scenarioFile('bundle-app')],
    bundle: true,
    platform: 'node',
    sourcemap: true,
    outfile: bundle,
    logLevel: 'silent',
  });
  const sizes = `bundle ${mb(bundle)} MB, map ${mb(`${bundle}.map`)} MB`;
  const results: Record<Variant, ScenarioResult[]> = { maps: [], plain: [] };
  const names = Object.keys(VARIANTS) as Variant[];
  for (let round = 0; round < ctx.sizes.bundleProcesses; round++) {
    for (let i = 0; i < names.length; i++) {
      const variant = names[(round + i) % names.length];
      results[variant].push(
        await runScenario('bundle-app.bundle', [], {
          env: { ...ctx.env, BENCH_BUNDLE_CALLS: String(ctx.sizes.bundleCalls) },
          nodeArgs: [...VARIANTS[variant]],
        }),
      );
    }
  }
  const figures: Figure[] = [];
  const rows: string[][] = [];
  const details: Record<string, unknown> = { sizes };
  const stats = (variant: Variant) => {
    const runs = results[variant];
    const sample = (name: string) => median(runs.map((run) => run.samples[name][0]));
    const calls = runs.reduce((sum, run) => sum + Number(run.facts.calls), 0);
    return {
      first: sample('first'),
      steady: sample('steady'),
      stall: sample('stall'),
      calls,
      lost: calls - runs.reduce((sum, run) => sum + Number(run.facts.records), 0),
      locations: [...new Set(runs.map((run) => String(run.facts.location)))].join(' | '),
    };
  };
  const plainSteady = stats('plain').steady;
  for (const variant of names) {
    const { first, steady, stall, lost, locations } = stats(variant);
    if (variant === 'maps' && !locations.split(' ').every((l) => l.includes('bundle-app.ts:'))) {
      throw new Error(`bundle under source maps: records name ${locations}, not the app's source`);
    }
    rows.push([variant, first.toFixed(2), (steady * 1000).toFixed(0), stall.toFixed(1), locations]);
    details[variant] = stats(variant);
    const label = variant === 'maps' ? 'bundle, --enable-source-maps' : 'bundle, no source maps';
    figures.push(
      makeFigure({
        id: `bundle-first/${variant}`,
        figure: 'first unattested call in an esbuild bundle (call + record job)',
        setup: label,
        value: first,
        unit: 'ms',
        measured: `${first.toFixed(2)} ms (longest stall ${stall.toFixed(1)} ms)`,
        target: { op: '<=', value: 5, text: '≤ 5 ms' },
        lost,
      }),
      makeFigure({
        id: `bundle-steady/${variant}`,
        figure: 'later unattested calls in an esbuild bundle (median)',
        setup: label,
        value: steady * 1000,
        unit: 'µs',
        measured: `${(steady * 1000).toFixed(0)} µs`,
        // As without source maps: within a quarter of the plain bundle's, measured in the same run.
        target: { op: '<=', value: plainSteady * 1250, text: '≤ 1.25× without maps' },
      }),
    );
  }
  ctx.print(`${sizes}; medians over ${ctx.sizes.bundleProcesses} processes per variant`);
  ctx.print(textTable(['variant', 'first ms', 'steady µs', 'stall ms', 'record location'], rows));
  fs.rmSync(bundle, { force: true });
  fs.rmSync(`${bundle}.map`, { force: true });
  return { figures, details };
}

function mb(file: string): string {
  return (fs.statSync(file).size / 2 ** 20).toFixed(1);
}
