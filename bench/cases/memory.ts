import { runScenario } from '../child';
import { makeFigure, textTable, type Figure } from '../figures';
import { SETUP_LABELS, type Setup } from '../setup';
import type { CaseContext, CaseOutcome } from './context';

/** Growth after the calls that still counts as none: under 0.1 byte per call, GC and JIT noise. */
const NO_GROWTH_BYTES = 100 * 1024;

/** Heap growth over attested calls (each setup), and heap bytes per queued record (bench/scenarios/memory.ts). */
export async function memoryCase(ctx: CaseContext): Promise<CaseOutcome> {
  const options = {
    env: {
      ...ctx.env,
      BENCH_MEMORY_CALLS: String(ctx.sizes.memoryCalls),
      BENCH_MEMORY_QUEUED: String(ctx.sizes.memoryQueued),
    },
    nodeArgs: ['--expose-gc'],
  };
  const figures: Figure[] = [];
  const details: Record<string, unknown> = {};
  const rows: string[][] = [];
  for (const setup of ['otel', 'none'] as Setup[]) {
    const { facts } = await runScenario('memory', ['attested', setup], options);
    const growth = Number(facts.growth);
    rows.push([
      `${Number(facts.calls).toLocaleString('en-US')} attested calls, ${SETUP_LABELS[setup]}`,
      kib(Number(facts.before)),
      kib(Number(facts.after)),
      `${growth >= 0 ? '+' : ''}${kib(growth)}`,
    ]);
    figures.push(
      makeFigure({
        id: `memory-attested/${setup}`,
        figure: `memory: heap growth after ${Number(facts.calls).toLocaleString('en-US')} attested calls`,
        setup: SETUP_LABELS[setup],
        value: growth,
        unit: 'bytes',
        measured: `${growth >= 0 ? '+' : ''}${kib(growth)} (${(growth / Number(facts.calls)).toFixed(3)} B per call)`,
        target: { op: '<=', value: NO_GROWTH_BYTES, text: 'none (< 0.1 B per call)' },
      }),
    );
    details[`attested/${setup}`] = facts;
  }
  const { facts } = await runScenario('memory', ['queued'], options);
  const perRecord = Number(facts.bytesPerRecord);
  const lost = Number(facts.records) - Number(facts.held);
  rows.push([
    `${Number(facts.records).toLocaleString('en-US')} records queued (${facts.held} held)`,
    kib(Number(facts.before)),
    kib(Number(facts.after)),
    `${perRecord.toFixed(0)} B per record`,
  ]);
  figures.push(
    makeFigure({
      id: 'memory-queued',
      figure: 'memory: retained bytes per queued record',
      setup: 'JSONL file unwritable',
      value: perRecord,
      unit: 'B',
      measured: `${perRecord.toFixed(0)} B per record`,
      target: { op: '<=', value: 512, text: '≤ 512 B' },
      lost,
    }),
  );
  details.queued = facts;
  ctx.print(textTable(['what', 'heap before (after gc)', 'heap after (after gc)', 'difference'], rows));
  return { figures, details };
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}
