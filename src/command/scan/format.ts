import type { Verdict } from './verdict';

/** One SDK call found by the scan, as reported. */
export interface ScanSite {
  file: string;
  line: number;
  column: number;
  /** Named like the guard's records where the code shows it: `openai.OpenAI.chat`. */
  call_site: string;
  /** The callee as written: `this.client.messages.create`. */
  expression: string;
  /** The npm package the call reaches. */
  package: string;
  verdict: Verdict;
  reason: string;
}

export interface ScanReport {
  /** Source files read. */
  files: number;
  tsconfig: string | null;
  /** By file, line, column. */
  sites: ScanSite[];
  summary: Record<Verdict, number> & { total: number };
  seconds: number;
}

export const VERDICTS: readonly Verdict[] = ['unattested', 'unknown', 'attested'];

export function compareSites(a: ScanSite, b: ScanSite): number {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column;
}

/** `file:line:col  call_site  verdict  reason`, columns aligned, then the counts. */
export function formatScan(report: ScanReport): string {
  const rows = report.sites.map((site) => [
    `${site.file}:${site.line}:${site.column}`,
    site.call_site,
    site.verdict,
  ]);
  const widths = [0, 1, 2].map((i) => Math.max(0, ...rows.map((row) => row[i].length)));
  const lines = rows.map(
    (row, i) => `${row.map((cell, c) => cell.padEnd(widths[c])).join('  ')}  ${report.sites[i].reason}`,
  );
  if (lines.length > 0) lines.push('');
  lines.push(summaryLine(report));
  return lines.join('\n') + '\n';
}

export function summaryLine(report: ScanReport): string {
  const { summary } = report;
  const sites = summary.total === 1 ? 'AI call site' : 'AI call sites';
  const counts = VERDICTS.map((verdict) => `${summary[verdict]} ${verdict}`).join(', ');
  const files = report.files === 1 ? 'file' : 'files';
  return `${summary.total} ${sites}: ${counts} (${report.files} ${files} scanned in ${report.seconds.toFixed(1)} s)`;
}
