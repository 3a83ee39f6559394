import type { CallGroup, Coverage, ReportSummary } from './report-summary';
import { visible } from './terminal-text';

const COLUMNS: Array<{ title: string; cell: (group: CallGroup) => string; numeric?: boolean }> = [
  { title: 'CALL SITE', cell: (g) => g.call_site },
  { title: 'CODE LOCATION', cell: (g) => g.code_location },
  { title: 'COUNT', cell: (g) => String(g.count), numeric: true },
  { title: 'BLOCKED', cell: (g) => String(g.blocked), numeric: true },
  { title: 'FIRST SEEN', cell: (g) => g.first_seen },
  { title: 'LAST SEEN', cell: (g) => g.last_seen },
];

/**
 * Columns are aligned up to this width; a longer cell is printed whole and pushes its own row out.
 * Padding every row to the longest cell would make the output rows × that length.
 */
const MAX_ALIGNED_WIDTH = 120;

/**
 * The report for people: a headline, an aligned table, then any loss or damage in the logs. Every
 * string from a log goes through visible(): no control character or bidi override reaches the
 * terminal.
 */
export function formatReport(summary: ReportSummary): string {
  const lines = [headline(summary)];
  if (summary.groups.length > 0) lines.push('', ...table(summary.groups));
  const notes = [
    summary.dropped > 0 &&
      `dropped ${summary.dropped} (records lost before they reached the log): ${summary.dropped_by_reason
        .map((entry) => `${entry.count} ${visible(entry.reason)}`)
        .join(', ')}`,
    summary.malformed > 0 && `malformed ${summary.malformed} (lines that are not records, skipped)`,
    summary.duplicates > 0 && `duplicates ${summary.duplicates} (same record id written twice, counted once)`,
    ...outsideWindow(summary),
  ].filter((note): note is string => Boolean(note));
  if (notes.length > 0) lines.push('', ...notes);
  if (summary.coverage) lines.push('', ...coverageLines(summary.coverage));
  return lines.join('\n') + '\n';
}

function headline(summary: ReportSummary): string {
  const since = summary.since ? ` since ${summary.since}` : '';
  if (summary.files.length === 0) return `No log files found; no unattested calls recorded${since}.`;
  const places = summary.groups.length === 1 ? 'place' : 'places';
  const calls = summary.unattested === 1 ? 'call' : 'calls';
  const where = summary.unattested > 0 ? ` in ${summary.groups.length} ${places}` : '';
  const files = summary.files.map(visible).join(', ');
  return `${summary.unattested} unattested ${calls}${where}${since} (read ${files})`;
}

/** Calls the per-day series leaves out (they are in the totals and the table). */
function outsideWindow(summary: ReportSummary): string[] {
  const { before, after } = summary.per_day_excluded;
  const first = summary.per_day[0]?.day;
  return [
    after > 0 &&
      `dated after tomorrow ${after} (a clock ahead or a forged line; left out of the per-day series)`,
    before > 0 &&
      `dated before ${first} ${before} (over a year before the last; left out of the per-day series)`,
  ].filter((note): note is string => Boolean(note));
}

function table(groups: CallGroup[]): string[] {
  const rows = groups.map((group) => COLUMNS.map((column) => visible(column.cell(group))));
  const widths = COLUMNS.map((column) => column.title.length);
  for (const row of rows) {
    row.forEach((cell, i) => {
      if (cell.length > widths[i]) widths[i] = Math.min(cell.length, MAX_ALIGNED_WIDTH);
    });
  }
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (COLUMNS[i].numeric ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(COLUMNS.map((column) => column.title)), ...rows.map(line)];
}

/** "attested share": from the coverage summary lines, overall and per call site. */
function coverageLines(coverage: Coverage): string[] {
  const share = (attested: number, unattested: number) =>
    `${attested} of ${attested + unattested} calls attested (${percent(attested, attested + unattested)})`;
  const names = coverage.call_sites.map((site) => visible(site.call_site));
  let width = 0;
  for (const name of names) width = Math.max(width, Math.min(name.length, MAX_ALIGNED_WIDTH));
  return [
    `coverage: ${share(coverage.attested, coverage.unattested)}`,
    ...coverage.call_sites.map(
      (site, i) => `  ${names[i].padEnd(width)}  ${share(site.attested, site.unattested)}`,
    ),
  ];
}

export function percent(part: number, whole: number): string {
  return whole === 0 ? 'n/a' : `${((100 * part) / whole).toFixed(1)} %`;
}
