import type { ScenarioResult } from '../child';
import { makeFigure, textTable, type Figure } from '../figures';
import { SETUP_LABELS, type Setup } from '../setup';
import { median, percent, signed, type Comparison } from '../stats';
import { roundRobin, sumFact, type CaseContext, type CaseOutcome } from './context';

const SETUPS: Setup[] = ['otel', 'none'];
const BASE = 'no guard';

/** Per-process medians of a variant, in round order: each pairs with the baseline's of the same process. */
export function processMedians(runs: readonly ScenarioResult[], variant: string): number[] {
  return runs.map((run) => median(run.samples[variant] ?? []));
}

/**
 * A variant against the baseline, paired by round: in every round of every process, the median of
 * the variant's batch over the median of the baseline's batch of the same round (the two ran
 * seconds apart at most). Ratio and difference are the medians over all rounds; the range is that
 * of each process's median ratio; value and base are the medians of all calls.
 */
export function pairedRounds(
  runs: readonly ScenarioResult[],
  variant: string,
  baseline: string,
  batch: number,
): Comparison {
  const ratios: number[] = [];
  const diffs: number[] = [];
  const perProcess: number[] = [];
  for (const run of runs) {
    const v = run.samples[variant] ?? [];
    const b = run.samples[baseline] ?? [];
    if (v.length === 0 || v.length !== b.length)
      throw new Error(`${variant}: ${v.length} calls, baseline ${b.length}`);
    const own: number[] = [];
    for (let start = 0; start < v.length; start += batch) {
      const vm = median(v.slice(start, start + batch));
      const bm = median(b.slice(start, start + batch));
      own.push(vm / bm);
      diffs.push(vm - bm);
    }
    ratios.push(...own);
    perProcess.push(median(own));
  }
  return {
    value: median(runs.flatMap((run) => run.samples[variant])),
    base: median(runs.flatMap((run) => run.samples[baseline])),
    diff: median(diffs),
    ratio: median(ratios),
    ratioRange: [Math.min(...perProcess), Math.max(...perProcess)],
    rounds: ratios.length,
  };
}

/**
 * A real openai chat completion against the loopback server (bench/scenarios/loopback.ts): the
 * guard attested, the guard unattested in report mode, and the peer instrumentation, each against
 * no guard in the same process, paired round by round (pairedRounds), with an A/A control.
 */
export async function loopbackCase(ctx: CaseContext): Promise<CaseOutcome> {
  const { sizes } = ctx;
  const results = await roundRobin('loopback', SETUPS, sizes.loopbackProcesses, {
    env: {
      ...ctx.env,
      BENCH_LOOPBACK_ROUNDS: String(sizes.loopbackRounds),
      BENCH_LOOPBACK_WARMUP_ROUNDS: String(sizes.loopbackWarmupRounds),
      BENCH_LOOPBACK_BATCH: String(sizes.loopbackBatch),
    },
  });
  const figures: Figure[] = [];
  const details: Record<string, unknown> = {};
  for (const setup of SETUPS) {
    const runs = results.get(setup) ?? [];
    const against = (variant: string) => pairedRounds(runs, variant, BASE, sizes.loopbackBatch);
    const attested = against('guard, attested');
    const contextSwitch = against('context switch alone (no guard)');
    const unattested = against('guard, unattested (report mode)');
    const listed = against('guard, unattested, listed host (report mode)');
    const peer = against('peer');
    const control = against('no guard, second client (A/A control)');
    const calls = sumFact(runs, 'unattestedCalls');
    const lost = calls - sumFact(runs, 'records');
    const samples = runs.reduce((n, run) => n + (run.samples[BASE]?.length ?? 0), 0);
    const label = SETUP_LABELS[setup];
    ctx.print(
      `${label}: µs per call, ${runs.length} processes, ${samples} calls per variant; added = median over ` +
        `${attested.rounds} rounds of (variant batch median - baseline batch median of the same round)`,
    );
    ctx.print(
      textTable(
        ['variant', 'median µs', 'added µs', 'added', 'range of process medians'],
        [
          [`${BASE} [baseline]`, attested.base.toFixed(1), '', '', ''],
          row('no guard, a second client (A/A control: noise)', control),
          row('guard, inside attest()', attested),
          row("attest()'s context switch alone, no guard", contextSwitch),
          row('guard, unattested (report mode)', unattested),
          row('guard, unattested, host on the network list', listed),
          row('peer: @opentelemetry/instrumentation-openai', peer),
        ],
      ),
    );
    ctx.print(`unattested calls ${calls}, JSONL lines written ${calls - lost}`);
    ctx.print();
    const share = attested.diff / peer.diff;
    const unattestedShare = unattested.diff / peer.diff;
    figures.push(
      makeFigure({
        id: `loopback-attested/${setup}`,
        figure: 'openai call over loopback: guard, attested',
        setup: label,
        value: (attested.ratio - 1) * 100,
        unit: '%',
        measured: `${percent(attested.ratio)} (${signed(attested.diff, 1)} µs of ${attested.base.toFixed(0)} µs; A/A ${percent(control.ratio)})`,
        target: { op: '<=', value: 0.5, text: '≤ 0.5 % added' },
      }),
      unattestedFigure(
        `loopback-unattested/${setup}`,
        'openai call over loopback: guard, unattested, report mode',
        label,
        unattested,
        lost,
      ),
      unattestedFigure(
        `loopback-unattested-listed/${setup}`,
        'the same, to a host the network backstop lists (as api.openai.com)',
        label,
        listed,
        lost,
      ),
      makeFigure({
        id: `peer/${setup}`,
        figure: "guard's added time (attested) vs the peer's, same run",
        setup: label,
        value: share,
        unit: '×',
        measured: `${share.toFixed(3)}× (${signed(attested.diff, 1)} vs ${signed(peer.diff, 1)} µs, peer ${percent(peer.ratio, 1)})`,
        target: { op: '<=', value: 0.1, text: '≤ 1/10 of the peer' },
      }),
      makeFigure({
        id: `peer-unattested/${setup}`,
        figure: "guard's added time (unattested, report mode) vs the peer's, same run",
        setup: label,
        value: unattestedShare,
        unit: '×',
        measured: `${unattestedShare.toFixed(2)}× (${signed(unattested.diff, 1)} vs ${signed(peer.diff, 1)} µs)`,
        target: { op: '<=', value: 0.5, text: "≤ 0.5× the peer's" },
      }),
    );
    details[setup] = {
      control,
      attested,
      contextSwitch,
      unattested,
      listed,
      peer,
      calls,
      lost,
      samplesPerVariant: samples,
    };
  }
  return { figures, details };
}

/** An unattested variant's row: ≤ 2 % added, and no record lost. */
function unattestedFigure(id: string, figure: string, setup: string, c: Comparison, lost: number): Figure {
  return makeFigure({
    id,
    figure,
    setup,
    value: (c.ratio - 1) * 100,
    unit: '%',
    measured: `${percent(c.ratio)} (${signed(c.diff, 1)} µs)`,
    target: { op: '<=', value: 2, text: '≤ 2 % added' },
    lost,
  });
}

function row(label: string, c: Comparison): string[] {
  return [
    label,
    c.value.toFixed(1),
    signed(c.diff, 1),
    percent(c.ratio),
    `${c.ratioRange[0].toFixed(3)}-${c.ratioRange[1].toFixed(3)}`,
  ];
}
