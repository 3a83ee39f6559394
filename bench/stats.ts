/** Medians and the per-round comparisons every case reports. */

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * A variant against its baseline, one value per round (a child process, or a tinybench round):
 * each round's figure pairs with the baseline's figure of the same round, so a slow or fast
 * moment moves both sides of its own comparison.
 */
export interface Comparison {
  /** Median of the variant's per-round figures. */
  value: number;
  /** Median of the baseline's per-round figures. */
  base: number;
  /** Median over rounds of (variant - baseline). */
  diff: number;
  /** Median over rounds of (variant / baseline). */
  ratio: number;
  /** Lowest and highest per-round ratio: the spread says how much noise there is. */
  ratioRange: [number, number];
  rounds: number;
}

export function compare(variant: readonly number[], baseline: readonly number[]): Comparison {
  if (variant.length === 0 || variant.length !== baseline.length) {
    throw new Error(`cannot compare ${variant.length} rounds with ${baseline.length}`);
  }
  const ratios = variant.map((v, i) => v / baseline[i]);
  return {
    value: median(variant),
    base: median(baseline),
    diff: median(variant.map((v, i) => v - baseline[i])),
    ratio: median(ratios),
    ratioRange: [Math.min(...ratios), Math.max(...ratios)],
    rounds: variant.length,
  };
}

export function signed(value: number, digits: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(digits)}`;
}

/** `+0.42 %` from a ratio. */
export function percent(ratio: number, digits = 2): string {
  return `${signed((ratio - 1) * 100, digits)} %`;
}

/** Plain-text table: first column left-aligned, the others right-aligned. */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...all.map((row) => (row[column] ?? '').length)));
  return all
    .map((row) =>
      row
        .map((cell, column) => (column === 0 ? cell.padEnd(widths[0]) : cell.padStart(widths[column])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
