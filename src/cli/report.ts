import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseCommandArgs, UsageError } from './args';
import { print, type Command } from './command';
import { readLogs } from './log-reader';
import { daemonLogFile, guardLogFile } from './paths';
import { renderHtmlReport, type ScanFinding } from './report-html';
import { summarise } from './report-summary';
import { formatReport } from './report-table';
import { parseSince } from './since';

const USAGE = `Usage: mima-guard report [--file P]... [--since T] [--json | --html OUT [--scan PATH]...]
                         [--fail-on-unattested]

Lists the AI SDK calls made outside attest(), grouped by call site and code location.
Reads each log with its rotated backups (P.N … P.1, then P) and counts a record once
however many times it was written (by id).

Options:
  --file P              a JSONL log to read; repeat for several. Default: the guard's log
                        (MIMA_GUARD_LOG_FILE or ~/.mima/guard_log.jsonl) and the daemon's
                        (MIMA_DAEMON_LOG_FILE or ~/.mima/daemon_log.jsonl)
  --since T             only calls at or after T: a duration back from now (30m, 24h, 7d, 2w)
                        or an ISO date or date-time (2026-11-01, 2026-11-01T09:00:00Z)
  --json                print one JSON object, for CI
  --html OUT            write one self-contained HTML page to OUT (calls per site and per day,
                        coverage) instead of printing the table
  --scan PATH           with --html: also run "mima-guard scan" on PATH (repeatable) and show
                        each call site's static verdict beside what the logs saw there
  --fail-on-unattested  exit 1 when any unattested call (or dropped record) is found
  -h, --help            show this help

Exit status: 0 done, 1 unattested calls found with --fail-on-unattested, 2 usage error.`;

export const reportCommand: Command = {
  name: 'report',
  summary: 'list the unattested calls in the guard and daemon logs',
  usage: USAGE,
  async run(args) {
    const values = parseCommandArgs('report', args, {
      file: { type: 'string', multiple: true },
      since: { type: 'string' },
      json: { type: 'boolean' },
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
    const files = values.file?.map((file) => path.resolve(file)) ?? [guardLogFile(), daemonLogFile()];
    const summary = summarise(readLogs(files), since);
    if (values.json && values.html !== undefined) {
      throw new UsageError('mima-guard report: choose one of --json and --html, not both');
    }
    if (values.scan && values.html === undefined) {
      throw new UsageError('mima-guard report: --scan goes with --html OUT (the page shows both)');
    }
    if (values.html !== undefined) {
      const out = path.resolve(values.html);
      const scan = values.scan ? scanSites(values.scan) : null;
      const page = renderHtmlReport({ summary, scan, cwd: process.cwd(), generatedAt: new Date() });
      fs.writeFileSync(out, page, { mode: 0o600 });
      print(`wrote ${out}: ${summary.unattested} unattested calls in ${summary.groups.length} places`);
    } else {
      print(values.json ? JSON.stringify(summary, null, 2) : formatReport(summary));
    }
    // A dropped record was an unattested call too: losing it must not turn CI green.
    const found = summary.unattested > 0 || summary.dropped > 0;
    return values['fail-on-unattested'] && found ? 1 : 0;
  },
};

/** The static scan's sites; the scanner (and typescript) is loaded only when asked for. */
function scanSites(paths: string[]): ScanFinding[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { scan } = require('../scan') as { scan(options: { paths: string[] }): { sites: ScanFinding[] } };
  return scan({ paths }).sites;
}
