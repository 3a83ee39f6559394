/** Medians and the plain-text tables run.ts prints. */

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export interface Row {
  label: string;
  /** Samples per run (per child process), in round order, so run i pairs with the baseline's run i. */
  runs: readonly (readonly number[])[];
}

export interface TableOptions {
  unit: string;
  /** Label of the row the ratios and differences are taken against. */
  baseline: string;
  digits?: number;
}

/**
 * variant | median of all samples | ratio | per-run ratio range | difference | samples.
 * The ratio is the median of the per-run ratios (each run against the baseline's run of the
 * same round), so a slow or fast process moves both sides of its own ratio.
 */
export function formatTable(rows: readonly Row[], options: TableOptions): string {
  const digits = options.digits ?? 1;
  const base = rows.find((row) => row.label === options.baseline);
  if (!base) throw new Error(`no baseline row ${options.baseline}`);
  const baseMedian = median(base.runs.flat());
  const lines = [
    ['variant', `median ${options.unit}`, 'ratio', 'ratio range', `diff ${options.unit}`, 'samples'],
  ];
  for (const row of rows) {
    const value = median(row.runs.flat());
    const ratios = row.runs.map((run, i) => median(run) / median(base.runs[i] ?? []));
    const diff = value - baseMedian;
    lines.push([
      row === base ? `${row.label} [baseline]` : row.label,
      value.toFixed(digits),
      median(ratios).toFixed(3),
      `${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}`,
      `${diff >= 0 ? '+' : ''}${diff.toFixed(digits)}`,
      String(row.runs.flat().length),
    ]);
  }
  const widths = lines[0].map((_, column) => Math.max(...lines.map((line) => line[column].length)));
  return lines
    .map((line) =>
      line
        .map((cell, column) => (column === 0 ? cell.padEnd(widths[0]) : cell.padStart(widths[column])))
        .join('  '),
    )
    .join('\n');
}
