/**
 * Where the start-up row's ms go: each start-up cut at its steps, timed inside fresh processes that
 * take turns (bare, guard, an InstrumentationBase subclass that only hooks openai), medians of wall
 * ms. Steps: loading `@opentelemetry/api` and `@opentelemetry/instrumentation` (which the guard and
 * the peer both load), the guard's own modules, `enableGuard()` (or constructing the subclass), then
 * `require('openai')` under the hooks, against the same require with none. A fourth variant loads
 * the guard's own modules as one esbuild bundle (the OTel packages left out, as an app shares them):
 * how much of their load is the count of files rather than their code. A diagnostic, not a target:
 *
 *   node build/bench/startup-split.js [processes]     (after a build; about 20 s)
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { median } from './stats';

type Steps = Record<string, number>;
const VARIANTS = ['bare', 'guard', 'bundled', 'floor'] as const;
/** Beside this file, so that the bundle's require of the OTel packages finds node_modules. */
const GUARD_BUNDLE = path.join(__dirname, 'startup-split.guard-bundle.js');
type Variant = (typeof VARIANTS)[number];

/** One start-up in this process, cut at its steps (ms between performance.now() stamps). */
function child(variant: Variant): Steps {
  const steps: Steps = {};
  let last = performance.now();
  const stamp = (name: string) => {
    const at = performance.now();
    steps[name] = at - last;
    last = at;
  };
  /* eslint-disable @typescript-eslint/no-require-imports -- each require is a timed step */
  if (variant !== 'bare') {
    require('@opentelemetry/api');
    require('@opentelemetry/instrumentation');
    stamp('OTel API + instrumentation load');
    if (variant !== 'floor') {
      const guard = require(variant === 'guard' ? '../src' : GUARD_BUNDLE) as typeof import('../src');
      stamp("guard's own modules load");
      guard.enableGuard();
      stamp('enableGuard()');
    } else {
      (require('./hook-only') as typeof import('./hook-only')).hookOnly('openai');
      stamp('subclass constructed (hook on openai)');
    }
  }
  require('openai');
  stamp("require('openai')");
  /* eslint-enable @typescript-eslint/no-require-imports */
  return steps;
}

function main(): void {
  if (process.argv[2] === '--child') {
    process.stdout.write(`${JSON.stringify(child(process.argv[3] as Variant))}\n`);
    return;
  }
  const processes = Number(process.argv[2] ?? 9);
  esbuild.buildSync({
    entryPoints: [path.join(__dirname, '..', 'src', 'index.js')],
    bundle: true,
    platform: 'node',
    external: ['@opentelemetry/*'],
    outfile: GUARD_BUNDLE,
    logLevel: 'silent',
  });
  try {
    report(processes);
  } finally {
    fs.rmSync(GUARD_BUNDLE, { force: true });
  }
}

function report(processes: number): void {
  const runs = new Map<Variant, Steps[]>(VARIANTS.map((v) => [v, []]));
  for (let round = 0; round < processes; round++) {
    for (let i = 0; i < VARIANTS.length; i++) {
      const variant = VARIANTS[(round + i) % VARIANTS.length];
      const out = spawnSync(process.execPath, [__filename, '--child', variant], { encoding: 'utf8' });
      if (out.status !== 0) throw new Error(`${variant} exited ${out.status}: ${out.stderr}`);
      runs.get(variant)!.push(JSON.parse(out.stdout) as Steps);
    }
  }
  const bareOpenai = median(runs.get('bare')!.map((s) => s["require('openai')"]));
  console.log(`medians of ${processes} processes per variant, wall ms (node ${process.version})`);
  console.log(`bare: require('openai') ${bareOpenai.toFixed(1)}`);
  for (const variant of ['guard', 'bundled', 'floor'] as const) {
    const steps = Object.keys(runs.get(variant)![0]);
    const parts = steps.map((step) => {
      const ms = median(runs.get(variant)!.map((s) => s[step]));
      const extra = step === "require('openai')" ? ` (${(ms - bareOpenai).toFixed(1)} over bare)` : '';
      return `${step} ${ms.toFixed(1)}${extra}`;
    });
    console.log(`${variant}: ${parts.join('; ')}`);
  }
}

main();
