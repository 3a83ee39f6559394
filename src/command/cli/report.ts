import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseCommandArgs, UsageError } from './args';
import {
  applyBaseline,
  baselineJson,
  baselineText,
  CI_OPTIONS,
  outputFormat,
  renderCiFormat,
} from './ci-output';
import { print, printError, type Command } from './command';
import { reportFindings, repositoryRoot } from './findings';
import { UnreadableLogError } from './log-reader';
import { daemonLogFile, guardLogFile } from './paths';
import { renderHtmlReport, type ScanFinding } from './report-html';
import { summariseLogs, type ReportSummary } from './report-summary';
import { formatReport } from './report-table';
import { parseSince } from './since';
import { terminalJson, visible } from './terminal-text';

const USAGE = `Usage: mima-guard report [--file P]... [--since T] [--format F | --html OUT [--scan PATH]...]
                         [--fail-on-unattested] [--baseline FILE | --baseline-write FILE]

Lists the AI SDK calls made outside attest(), grouped by call site and code location.
Reads each log with its rotated backups (P.N … P.1, then P) and counts a record once
however many times it was written (by id).

Options:
  --file P              a JSONL log to read; repeat for several. Default: the guard's log
                        (MIMA_GUARD_LOG_FILE or ~/.mima/guard_log.jsonl) and the daemon's
                        (MIMA_DAEMON_LOG_FILE or ~/.mima/daemon_log.jsonl)
  --since T             only calls at or after T: a duration back from now (30m, 24h, 7d, 2w)
                        or an ISO date or date-time (2026-11-01, 2026-11-01T09:00:00Z)
  --format F            text (default); json: one JSON object; sarif: SARIF 2.1.0 (code scanning);
                        github: GitHub Actions annotations on the lines the calls came from
  --json                the same as --format json
  --html OUT            write one self-contained HTML page to OUT (calls per site and per day,
                        coverage) instead of printing the table
  --scan PATH           with --html: also run "mima-guard scan" on PATH (repeatable) and show
                        each call site's static verdict beside what the logs saw there
  --fail-on-unattested  exit 1 when any unattested call, dropped record or unreadable line
                        is found; never passes on nothing: exit 2 when a --file (or, by
                        default, every log) is missing. With --baseline: only calls at
                        places not in it
  --baseline FILE       the places recorded in FILE are known: only others fail the gate, and
                        entries no longer seen are listed as fixed
  --baseline-write FILE record today's places (call site and code location) in FILE
  -h, --help            show this help

A --file that does not exist, or no log at all by default, is said on stderr.

Exit status: 0 done (with --fail-on-unattested: every log read, nothing unattested, nothing
dropped, no unreadable line); 1 unattested calls, dropped records or unreadable lines found,
with --fail-on-unattested; 2 usage error, a log that cannot be read, a --file that does not
exist (or no log at all by default) with --fail-on-unattested, or any other fault of the
command.`;

export const reportCommand: Command = {
  name: 'report',
  summary: 'list the unattested calls in the guard and daemon logs',
  usage: USAGE,
  async run(args) {
    const values = parseCommandArgs('report', args, {
      file: { type: 'string', multiple: true },
      since: { type: 'string' },
      json: { type: 'boolean' },
      ...CI_OPTIONS,
      html: { type: 'string' },
      scan: { type: 'string', multiple: true },
      'fail-on-unattested': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      print(USAGE);
      return 0;
    }
    const since = values.since === undefined ? null : parseSince(values.since);
    const format = outputFormat('report', values);
    if ((values.json || values.format !== undefined) && values.html !== undefined) {
      const option = values.json ? '--json' : '--format';
      throw new UsageError(`mima-guard report: choose one of ${option} and --html, not both`);
    }
    if (values.scan && values.html === undefined) {
      throw new UsageError('mima-guard report: --scan goes with --html OUT (the page shows both)');
    }
    const named = values.file !== undefined;
    const files = values.file?.map((file) => path.resolve(file)) ?? [guardLogFile(), daemonLogFile()];
    const gate = values['fail-on-unattested'] === true;
    let summary: ReportSummary;
    try {
      summary = summariseLogs(files, since);
    } catch (error) {
      if (!(error instanceof UnreadableLogError)) throw error;
      printError(`mima-guard report: ${visible(error.message)}; nothing was reported`);
      return 2;
    }
    const problem = missingLogs(named, files, summary);
    if (problem) {
      printError(
        `mima-guard report: ${problem}` +
          (gate
            ? '. --fail-on-unattested does not pass on a log it did not read (exit 2); for a CI run, ' +
              'create the log before the run and name it with --file (see the README)'
            : ''),
      );
    }
    const root = repositoryRoot(process.cwd());
    const findings = reportFindings(summary, process.cwd(), root);
    const comparison = applyBaseline('report', values, findings);
    if (values.html !== undefined) {
      const out = path.resolve(values.html);
      const scan = values.scan ? scanSites(values.scan) : null;
      const page = renderHtmlReport({ summary, scan, cwd: process.cwd(), generatedAt: new Date() });
      fs.writeFileSync(out, page, { mode: 0o600 });
      print(
        `wrote ${visible(out)}: ${summary.unattested} unattested calls in ${summary.groups.length} places`,
      );
      if (comparison) print(baselineText(comparison));
    } else if (format === 'json') {
      print(terminalJson(comparison ? { ...summary, baseline: baselineJson(comparison) } : summary));
    } else if (format === 'text') {
      print(formatReport(summary) + (comparison ? baselineText(comparison) : ''));
    } else {
      const problems = [problem, droppedProblem(summary), malformedProblem(summary)].filter(
        (text): text is string => Boolean(text),
      );
      const footer = `${summary.unattested} unattested calls in ${summary.groups.length} places`;
      print(renderCiFormat({ command: 'report', format, findings, root, comparison, problems, footer }));
    }
    if (!gate) return 0;
    if (problem) return 2;
    // A dropped record was an unattested call too: losing it must not turn CI green (nor can a
    // baseline know it).
    // So must a line the report could not read: a record cut short by a crash or a full disk.
    const failing = comparison ? comparison.fresh.length : summary.unattested;
    return failing > 0 || summary.dropped > 0 || summary.malformed > 0 ? 1 : 0;
  },
};

/**
 * A log asked for by name that is not there is a mistake, never "no calls": a gate reading a
 * mistyped path (or one the guard refused to write) passed on nothing. By default (no --file),
 * finding neither the guard's nor the daemon's log is said as loudly.
 */
function missingLogs(named: boolean, files: string[], summary: ReportSummary): string | undefined {
  if (named && summary.missing.length > 0) {
    return (
      `no such log: ${summary.missing.map(visible).join(', ')} ` +
      '(neither the file nor a rotated backup of it exists)'
    );
  }
  if (summary.files.length === 0) {
    return `no log at ${files.map(visible).join(' or ')}: nothing shows that the guard ran here`;
  }
  return undefined;
}

function droppedProblem(summary: ReportSummary): string | undefined {
  if (summary.dropped === 0) return undefined;
  return `${summary.dropped} records were lost before they reached a log (unattested calls not located)`;
}

function malformedProblem(summary: ReportSummary): string | undefined {
  if (summary.malformed === 0) return undefined;
  return `${summary.malformed} log lines could not be read (a record cut short by a crash or a full disk is a call not counted)`;
}

/** The static scan's sites; the scanner (and typescript) is loaded only when asked for. */
function scanSites(paths: string[]): ScanFinding[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { scan } = require('../scan') as { scan(options: { paths: string[] }): { sites: ScanFinding[] } };
  return scan({ paths }).sites;
}
