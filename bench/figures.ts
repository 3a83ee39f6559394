import { textTable } from './stats';

/** A target from the issue: the measured value must be <= or >= it. */
export interface Target {
  op: '<=' | '>=';
  value: number;
  /** As the issue states it: "≤ 50 ns median". */
  text: string;
}

/** One row of the summary table: a figure of the issue, in one setup. */
export interface Figure {
  id: string;
  figure: string;
  setup: string;
  /** What is compared with the target, in `unit`. */
  value: number;
  unit: string;
  /** The measured value as printed, with the context that makes it readable. */
  measured: string;
  target: Target;
  met: boolean;
  /** Records not written/acknowledged: any makes the run fail, quick or full. */
  lost?: number;
  /** A condition the figure needs besides its value (no AsyncLocalStorage created): false is missed. */
  requires?: { ok: boolean; text: string };
}

export function makeFigure(figure: Omit<Figure, 'met'>): Figure {
  const { op, value } = figure.target;
  const met = Number.isFinite(figure.value) && (op === '<=' ? figure.value <= value : figure.value >= value);
  return { ...figure, met: met && !figure.lost && figure.requires?.ok !== false };
}

/** A quick run's figures are too brief to judge: only a lost record is a verdict there. */
function verdict(figure: Figure, quick: boolean): string {
  // Fewer records than calls is a loss; more (a request of a call's own reported again) is a fault too.
  if (figure.lost)
    return figure.lost > 0 ? `missed (${figure.lost} lost)` : `missed (${-figure.lost} extra records)`;
  if (quick) return '(quick run)';
  if (figure.requires?.ok === false) return `missed (${figure.requires.text})`;
  return figure.met ? 'met' : 'missed';
}

/** The summary, as a Markdown table: readable in a terminal and pasted as is into the README. */
export function summaryTable(figures: readonly Figure[], quick = false): string {
  const header = ['figure', 'setup', 'measured (median)', 'target', 'verdict'];
  const rows = figures.map((f) => [f.figure, f.setup, f.measured, f.target.text, verdict(f, quick)]);
  const widths = header.map((_, c) => Math.max(...[header, ...rows].map((row) => row[c].length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export { textTable };
