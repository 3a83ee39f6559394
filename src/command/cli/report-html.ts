import * as path from 'node:path';
import { escapeHtml, htmlTable } from './html';
import { perDayChart } from './report-chart';
import type { CallGroup, ReportSummary } from './report-summary';
import { percent } from './report-table';

/** One call site the static scan found (`mima-guard scan --json`), as the report needs it. */
export interface ScanFinding {
  file: string;
  line: number;
  column: number;
  call_site: string;
  verdict: string;
  reason: string;
}

export interface HtmlReportInput {
  summary: ReportSummary;
  /** The static scan's sites, when the report was asked to scan; null otherwise. */
  scan: ScanFinding[] | null;
  /** Where relative paths in the logs and the scan are resolved from. */
  cwd: string;
  generatedAt: Date;
}

/** The runtime groups at one file:line, found by absolute path (records and the scan may differ in form). */
function groupsByLocation(groups: CallGroup[], cwd: string): Map<string, CallGroup[]> {
  const byLocation = new Map<string, CallGroup[]>();
  for (const group of groups) {
    const match = /^(.*):(\d+)$/.exec(group.code_location);
    if (!match) continue;
    const key = `${path.resolve(cwd, match[1])}:${match[2]}`;
    const seen = byLocation.get(key);
    if (seen) seen.push(group);
    else byLocation.set(key, [group]);
  }
  return byLocation;
}

function runtimeStatus(finding: ScanFinding, seen: CallGroup[] | undefined): { text: string; cls: string } {
  const count = seen?.reduce((sum, group) => sum + group.count, 0) ?? 0;
  if (count > 0) {
    const last = seen!
      .map((group) => group.last_seen)
      .sort()
      .pop();
    return { text: `seen unattested at run time: ${count} (last ${last})`, cls: 'seen' };
  }
  if (finding.verdict === 'attested') return { text: 'attested', cls: 'attested' };
  return { text: 'never seen unattested at run time', cls: 'unseen' };
}

function scanSection(scan: ScanFinding[], summary: ReportSummary, cwd: string): string {
  const byLocation = groupsByLocation(summary.groups, cwd);
  const rows = scan.map((finding) => {
    const status = runtimeStatus(
      finding,
      byLocation.get(`${path.resolve(cwd, finding.file)}:${finding.line}`),
    );
    return [
      `<code>${escapeHtml(`${finding.file}:${finding.line}:${finding.column}`)}</code>`,
      escapeHtml(finding.call_site),
      `<span class="verdict ${escapeHtml(finding.verdict)}">${escapeHtml(finding.verdict)}</span>`,
      escapeHtml(finding.reason),
      `<span class="runtime ${status.cls}">${escapeHtml(status.text)}</span>`,
    ];
  });
  const counts = ['unattested', 'unknown', 'attested']
    .map((verdict) => `${scan.filter((f) => f.verdict === verdict).length} ${verdict}`)
    .join(', ');
  return [
    '<h2>Static scan beside the run time</h2>',
    `<p id="scan-summary">${scan.length} call sites in the code: ${escapeHtml(counts)}.</p>`,
    htmlTable('scan', ['Location', 'Call site', 'Static verdict', 'Why', 'At run time'], rows),
  ].join('\n');
}

function coverageSection(summary: ReportSummary): string {
  const coverage = summary.coverage;
  if (!coverage) {
    return '<p class="empty">No coverage lines in the logs: set <code>coverageSummaryIntervalMs</code> to record the attested share.</p>';
  }
  const rows = coverage.call_sites.map((site) => [
    escapeHtml(site.call_site),
    String(site.attested),
    String(site.unattested),
    escapeHtml(percent(site.attested, site.attested + site.unattested)),
  ]);
  return htmlTable('coverage', ['Call site', 'Attested', 'Unattested', 'Attested share'], rows, [1, 2, 3]);
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#1d232b}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:2rem 0 .5rem}
.meta{color:#5b6470;margin:0 0 1.25rem}
.cards{display:flex;gap:1rem;flex-wrap:wrap}.card{border:1px solid #d8dde3;border-radius:8px;padding:.75rem 1rem;min-width:10rem}
.card b{display:block;font-size:1.6rem}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #e4e8ec;vertical-align:top}
th{background:#f4f6f8}.num{text-align:right;font-variant-numeric:tabular-nums}
code{font:12px ui-monospace,Menlo,monospace}
.verdict,.runtime{padding:.1rem .4rem;border-radius:4px;white-space:nowrap}
.verdict.unattested,.runtime.seen{background:#fde2e1;color:#8a1c17}.verdict.unknown{background:#fff1c2;color:#6b4e00}
.verdict.attested,.runtime.attested{background:#dcf3e3;color:#1b5e31}.runtime.unseen{background:#eef0f3}
.bar{fill:#c8423b}.axis{stroke:#8a939e}.tick{font-size:11px;fill:#5b6470}.empty{color:#5b6470}
`;

/** What the cards and the chart do not say: lost records per reason, calls left out of the chart. */
function notes(summary: ReportSummary): string {
  const { before, after } = summary.per_day_excluded;
  const lines = [
    summary.dropped > 0 &&
      `Dropped records (lost before they reached the log): ${summary.dropped_by_reason
        .map((entry) => `${entry.count} ${entry.reason}`)
        .join(', ')}.`,
    after > 0 &&
      `${after} calls dated after tomorrow are left out of the chart (a clock ahead or a forged line).`,
    before > 0 && `${before} calls dated over a year before the last day are left out of the chart.`,
  ].filter((line): line is string => Boolean(line));
  return lines.map((line) => `<p class="note">${escapeHtml(line)}</p>`).join('\n');
}

/** One self-contained page: inline CSS and SVG, no script, nothing fetched at view time. */
export function renderHtmlReport({ summary, scan, cwd, generatedAt }: HtmlReportInput): string {
  const groups = summary.groups.map((group) => [
    escapeHtml(group.call_site),
    `<code>${escapeHtml(group.code_location)}</code>`,
    String(group.count),
    String(group.blocked),
    escapeHtml(group.first_seen),
    escapeHtml(group.last_seen),
  ]);
  const share = summary.coverage
    ? percent(summary.coverage.attested, summary.coverage.attested + summary.coverage.unattested)
    : 'n/a';
  const cards = [
    ['unattested-calls', 'Unattested calls', String(summary.unattested)],
    ['places', 'Places in the code', String(summary.groups.length)],
    ['dropped', 'Dropped records', String(summary.dropped)],
    ['attested-share', 'Attested share', share],
  ].map(
    ([id, label, value]) =>
      `<div class="card" id="${id}"><b>${escapeHtml(value)}</b>${escapeHtml(label)}</div>`,
  );
  const since = summary.since ? `, since ${summary.since}` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Mima guard report</title>
<style>${STYLE}</style></head>
<body>
<h1>AI calls outside attest()</h1>
<p class="meta">Generated ${escapeHtml(generatedAt.toISOString())}${escapeHtml(since)} from ${escapeHtml(
    summary.files.length ? summary.files.join(', ') : 'no log files',
  )}.</p>
<div class="cards">${cards.join('')}</div>
<h2>Unattested calls per day</h2>
${perDayChart(summary.per_day)}
${notes(summary)}
<h2>Unattested calls by call site and code location</h2>
${
  groups.length
    ? htmlTable(
        'groups',
        ['Call site', 'Code location', 'Count', 'Blocked', 'First seen', 'Last seen'],
        groups,
        [2, 3],
      )
    : '<p class="empty">None recorded.</p>'
}
${scan ? scanSection(scan, summary, cwd) : ''}
<h2>Attestation coverage</h2>
${coverageSection(summary)}
</body></html>
`;
}
