import { parseArgs } from 'node:util';
import type { ScanReport } from '../scan/format';
import { UsageError } from './args';
import {
  applyBaseline,
  baselineJson,
  baselineText,
  CI_OPTIONS,
  outputFormat,
  renderCiFormat,
} from './ci-output';
import { print, type Command } from './command';
import { repositoryRoot, scanFindings } from './findings';
import { terminalJson } from './terminal-text';

/** The contract of src/scan/index.ts and format.ts, loaded only when the command runs. */
interface Scanner {
  scan(options: { paths: string[] }): ScanReport;
}
interface Formatter {
  formatScan(report: ScanReport): string;
  summaryLine(report: ScanReport): string;
}

const USAGE = `Usage: mima-guard scan [path ...] [--json] [--fail-on-unattested] [--format F]
                        [--baseline FILE | --baseline-write FILE]

Finds, without running the code, every call that reaches an AI SDK method the guard patches
(matched by the type or import it resolves to, with the TypeScript compiler) in the .ts, .tsx,
.js, .mjs and .cjs files under the paths, and says whether it runs attested:

  attested    inside a function given to attest(), withAttested(), mima.attest() or mima.wrap(),
              in a method decorated with @attest, through a client from mima.wrap(), or only
              called from such code
  unattested  its function is reachable from a file's top level or an exported API without
              passing through an attestation
  unknown     reached only through values the scan cannot follow (callbacks stored and called
              later, functions never called directly)

Uses the project's tsconfig.json when there is one. Needs the typescript package (the project's,
else the one next to the guard). Skips node_modules, hidden directories and the tsconfig outDir.

Options:
  path                  files or directories to scan. Default: the current directory
  --format F            text (default); json: one JSON object; sarif: SARIF 2.1.0 (code scanning);
                        github: GitHub Actions annotations on the unattested and unknown lines
  --json                the same as --format json
  --fail-on-unattested  exit 1 when any call site is unattested (with --baseline: any not in it)
  --baseline FILE       the findings recorded in FILE are known: only others fail the gate, and
                        entries no longer found are listed as fixed
  --baseline-write FILE record today's unattested call sites in FILE (commit it to adopt the gate)
  -h, --help            show this help

Exit status: 0 done, 1 unattested call sites found (not in the baseline) with
--fail-on-unattested, 2 usage error (or typescript missing, or a baseline that cannot be read).`;

export const scanCommand: Command = {
  name: 'scan',
  summary: 'find AI SDK calls outside attest() in source code, without running it',
  usage: USAGE,
  async run(args) {
    let parsed;
    try {
      parsed = parseArgs({
        args,
        options: {
          json: { type: 'boolean' },
          ...CI_OPTIONS,
          'fail-on-unattested': { type: 'boolean' },
          help: { type: 'boolean', short: 'h' },
        },
        strict: true,
        allowPositionals: true,
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const end = message.indexOf('. ');
      const first = (end < 0 ? message : message.slice(0, end)).replace(/\.$/, '');
      throw new UsageError(
        `mima-guard scan: ${first}; accepted: --json, --fail-on-unattested, --help, --format, --baseline, --baseline-write; see "mima-guard scan --help"`,
      );
    }
    const { values, positionals } = parsed;
    if (values.help) {
      print(USAGE);
      return 0;
    }
    const format = outputFormat('scan', values);
    // Loaded here: report, login and the guard itself never load the scanner (nor typescript).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { scan } = require('../scan') as Scanner;
    const report = scan({ paths: positionals.length > 0 ? positionals : ['.'] });
    const root = repositoryRoot(process.cwd());
    const findings = scanFindings(report, process.cwd(), root);
    const comparison = applyBaseline('scan', values, findings);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const formatter = require('../scan/format') as Formatter;
    if (format === 'json') {
      print(terminalJson(comparison ? { ...report, baseline: baselineJson(comparison) } : report));
    } else if (format === 'text') {
      print(formatter.formatScan(report) + (comparison ? baselineText(comparison) : ''));
    } else {
      const footer = formatter.summaryLine(report);
      print(renderCiFormat({ command: 'scan', format, findings, root, comparison, problems: [], footer }));
    }
    const failing = comparison ? comparison.fresh.length : report.summary.unattested;
    return values['fail-on-unattested'] && failing > 0 ? 1 : 0;
  },
};
