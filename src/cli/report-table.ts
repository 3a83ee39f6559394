import type { CallGroup, Coverage, ReportSummary } from './report-summary';

const COLUMNS: Array<{ title: string; cell: (group: CallGroup) => string; numeric?: boolean }> = [
  { title: 'CALL SITE', cell: (g) => g.call_site },
  { title: 'CODE LOCATION', cell: (g) => g.code_location },
  { title: 'COUNT', cell: (g) => String(g.count), numeric: true },
  { title: 'BLOCKED', cell: (g) => String(g.blocked), numeric: true },
  { title: 'FIRST SEEN', cell: (g) => g.first_seen },
  { title: 'LAST SEEN', cell: (g) => g.last_seen },
];

/** The report for people: a headline, an aligned table, then any loss or damage in the logs. */
export function formatReport(summary: ReportSummary): string {
  const lines = [headline(summary)];
  if (summary.groups.length > 0) lines.push('', ...table(summary.groups));
  const notes = [
    summary.dropped > 0 && `dropped ${summary.dropped} (records lost before they reached the log)`,
    summary.malformed > 0 && `malformed ${summary.malformed} (lines that are not records, skipped)`,
    summary.duplicates > 0 && `duplicates ${summary.duplicates} (same record id written twice, counted once)`,
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
  return `${summary.unattested} unattested ${calls}${where}${since} (read ${summary.files.join(', ')})`;
}

function table(groups: CallGroup[]): string[] {
  const rows = groups.map((group) => COLUMNS.map((column) => column.cell(group)));
  const widths = COLUMNS.map((column, i) =>
    Math.max(column.title.length, ...rows.map((row) => row[i].length)),
  );
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
  const width = Math.max(...coverage.call_sites.map((site) => site.call_site.length));
  return [
    `coverage: ${share(coverage.attested, coverage.unattested)}`,
    ...coverage.call_sites.map(
      (site) => `  ${site.call_site.padEnd(width)}  ${share(site.attested, site.unattested)}`,
    ),
  ];
}

export function percent(part: number, whole: number): string {
  return whole === 0 ? 'n/a' : `${((100 * part) / whole).toFixed(1)} %`;
}
