import { makeFigure, textTable } from '../figures';
import { compare, median, percent, signed } from '../stats';
import { fact, roundRobin, sumFact, type CaseContext, type CaseOutcome } from './context';
import { pairedRounds, processMedians } from './loopback';

/**
 * An app with no OTel context manager that never calls attest() (bench/scenarios/no-attest.ts):
 * its calls through a MimaGovernance.wrap() client against the same calls without the guard, in
 * one process, and the check that the guard created no AsyncLocalStorage. Also, for reference, what
 * an active store would cost (same process), and the cross-process comparison with a process that
 * never loads the guard.
 */
export async function noAttestCase(ctx: CaseContext): Promise<CaseOutcome> {
  const { sizes } = ctx;
  const results = await roundRobin('no-attest', ['guard', 'noguard'], sizes.loopbackProcesses, {
    env: {
      ...ctx.env,
      BENCH_LOOPBACK_ROUNDS: String(sizes.loopbackRounds),
      BENCH_LOOPBACK_WARMUP_ROUNDS: String(sizes.loopbackWarmupRounds),
      BENCH_LOOPBACK_BATCH: String(sizes.loopbackBatch),
      BENCH_AWAITS: String(ctx.quick ? 20_000 : 200_000),
    },
  });
  const runs = results.get('guard') ?? [];
  const batch = sizes.loopbackBatch;
  const guard = pairedRounds(runs, 'guard, wrap() client', 'no guard', batch);
  const store = pairedRounds(runs, 'no guard, AsyncLocalStorage active (reference)', 'no guard', batch);
  // The process without the guard: all three of its clients' calls.
  const crossProcess = compare(
    processMedians(runs, 'guard, wrap() client'),
    (results.get('noguard') ?? []).map((run) => median(Object.values(run.samples).flat())),
  );
  const awaitNs = compare(
    runs.map((run) => median(run.samples['await, store active'])),
    runs.map((run) => median(run.samples['await, no store'])),
  );
  const storesEntered = sumFact(runs, 'storesEntered');
  const ownStore = fact(runs, 'ownStoreCreated');
  const unattested = sumFact(runs, 'unattestedRecords');
  const noStore = storesEntered === 0 && ownStore === 'false';

  ctx.print(
    `µs per call, ${runs.length} processes each; in-process rows paired round by round, as in loopback`,
  );
  ctx.print(
    textTable(
      ['variant', 'median µs', 'added µs', 'added', 'range of process medians'],
      [
        ['no guard [baseline]', guard.base.toFixed(1), '', '', ''],
        [
          'guard enabled, wrap() client',
          guard.value.toFixed(1),
          signed(guard.diff, 1),
          percent(guard.ratio),
          range(guard.ratioRange),
        ],
        [
          'reference: no guard, an AsyncLocalStorage active',
          store.value.toFixed(1),
          signed(store.diff, 1),
          percent(store.ratio),
          range(store.ratioRange),
        ],
        [
          'cross-process: guard process vs a process without it',
          '',
          '',
          percent(crossProcess.ratio),
          range(crossProcess.ratioRange),
        ],
      ],
    ),
  );
  ctx.print(
    `ns per \`await null\`: ${awaitNs.base.toFixed(1)} without a store, ${awaitNs.value.toFixed(1)} with one active ` +
      `(${signed(awaitNs.diff, 1)} ns); an openai call creates ${fact(runs, 'asyncResourcesPerCall')} async resources`,
  );
  ctx.print(
    `checks: AsyncLocalStorage instances entered besides the reference: ${storesEntered}; guard's own store created: ` +
      `${ownStore}; unattested records (must be 0): ${unattested}`,
  );
  return {
    figures: [
      makeFigure({
        id: 'no-attest/none',
        figure: 'app without context manager, never attest(): guard vs none',
        setup: 'no OTel SDK, wrap() client',
        value: (guard.ratio - 1) * 100,
        unit: '%',
        measured: `${percent(guard.ratio)} (${signed(guard.diff, 1)} µs); an active ALS would be ${percent(store.ratio, 1)}`,
        target: { op: '<=', value: 1, text: '≤ 1 % added' },
        requires: {
          ok: noStore && unattested === 0,
          text: noStore ? 'a wrap() call was reported' : 'the guard entered an AsyncLocalStorage',
        },
      }),
    ],
    details: {
      guard,
      activeStoreReference: store,
      crossProcess,
      awaitNs,
      storesEntered,
      ownStore,
      unattested,
    },
  };
}

function range([low, high]: [number, number]): string {
  return `${low.toFixed(3)}-${high.toFixed(3)}`;
}
