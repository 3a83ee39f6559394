import { makeFigure, textTable, type Figure } from '../figures';
import { SETUP_LABELS, type Setup } from '../setup';
import { compare, signed, type Comparison } from '../stats';
import { merged, roundRobin, sumFact, type CaseContext, type CaseOutcome } from './context';

const SETUPS: Setup[] = ['otel', 'none'];

/**
 * The three in-process figures (bench/scenarios/micro.ts): the flag check, attest()'s wrapper, and
 * an unattested call in report mode, each against its baseline in the same tinybench round.
 */
export async function microCase(ctx: CaseContext): Promise<CaseOutcome> {
  const { sizes } = ctx;
  const results = await roundRobin('micro', SETUPS, sizes.microProcesses, {
    env: {
      ...ctx.env,
      BENCH_MICRO_ROUNDS: String(sizes.microRounds),
      BENCH_MICRO_TIME_MS: String(sizes.microTimeMs),
      BENCH_MICRO_WARMUP_MS: String(sizes.microWarmupMs),
    },
  });
  const figures: Figure[] = [];
  const details: Record<string, unknown> = {};
  for (const setup of SETUPS) {
    const runs = results.get(setup) ?? [];
    const s = merged(runs);
    const flag = compare(s['patched, attested'], s.original);
    const wrapper = compare(s['attest(fn)()'], s['fn()']);
    const unattested = compare(s['patched, unattested (report mode)'], s.original);
    const calls = sumFact(runs, 'unattestedCalls');
    const lost = calls - sumFact(runs, 'records');
    const label = SETUP_LABELS[setup];
    ctx.print(`${label}: ns per call, median of ${flag.rounds} tinybench rounds (batches of calls)`);
    ctx.print(
      textTable(
        ['task', 'median ns', 'baseline ns', 'added ns', 'rounds'],
        [
          row('patched chokepoint, attested (vs original)', flag),
          row('attest(fn)() (vs fn())', wrapper),
          row('patched chokepoint, unattested, report mode (vs original)', unattested),
        ],
      ),
    );
    ctx.print(`unattested calls ${calls}, JSONL lines written ${calls - lost}`);
    ctx.print();
    figures.push(
      makeFigure({
        id: `flag-check/${setup}`,
        figure: 'attested call: flag check at the patched chokepoint',
        setup: label,
        value: flag.diff,
        unit: 'ns',
        measured: `${signed(flag.diff, 1)} ns (${flag.value.toFixed(1)} vs ${flag.base.toFixed(1)} ns)`,
        target: { op: '<=', value: 50, text: '≤ 50 ns' },
      }),
      makeFigure({
        id: `attest-wrapper/${setup}`,
        figure: '`attest()` wrapper, per invocation',
        setup: label,
        value: wrapper.diff,
        unit: 'ns',
        measured: `${signed(wrapper.diff, 0)} ns`,
        target: { op: '<=', value: 300, text: '≤ 300 ns' },
      }),
      makeFigure({
        id: `unattested-report/${setup}`,
        figure: 'unattested call, report mode, in-process',
        setup: label,
        value: unattested.diff / 1000,
        unit: 'µs',
        measured: `${(unattested.diff / 1000).toFixed(2)} µs`,
        target: { op: '<=', value: 3, text: '≤ 3 µs' },
        lost,
      }),
    );
    details[setup] = { flagCheck: flag, attestWrapper: wrapper, unattestedReport: unattested, calls, lost };
  }
  return { figures, details };
}

function row(label: string, c: Comparison): string[] {
  return [label, c.value.toFixed(1), c.base.toFixed(1), signed(c.diff, 1), String(c.rounds)];
}
