import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { ScanReport } from '../scan/format';
import type { TypeScript } from '../scan/typescript';
import { UsageError } from './args';
import { print, type Command } from './command';
import { cyclonedxBom } from './cyclonedx';
import { inventoryMarkdown } from './inventory-markdown';
import { buildInventory } from './inventory-model';
import { summariseLogs } from './report-summary';
import { terminalJson } from './terminal-text';

/** The contract of src/scan, loaded only when the command runs (it loads typescript). */
interface Scanner {
  scan(options: { paths: string[] }): ScanReport;
}
interface ScanProgram {
  projectRoot(first: string): string;
}
interface TypeScriptLoader {
  loadTypeScript(projectDir: string): TypeScript;
}

const FORMATS = ['cyclonedx', 'json', 'md'] as const;

const USAGE = `Usage: mima-guard inventory [path ...] [--format cyclonedx|json|md] [--file LOG]

Lists the AI SDKs of the project that the guard patches: each one installed (the version in the
node_modules nearest the project) or called in the code, the model providers and the models its
calls name where the code says so (a string in the call's model option), and every call site
with its verdict, found by the same static scan as "mima-guard scan".

Options:
  path          files or directories to scan. Default: the current directory
  --format F    cyclonedx (default): a CycloneDX 1.6 JSON BOM (SDKs as components with purls,
                models as machine-learning-model components, providers as services, call
                sites as evidence occurrences); json: the inventory as one JSON object;
                md: a Markdown document (SDKs, models, providers, call sites as tables)
                to paste into a pull request or a wiki
  --file LOG    add the unattested calls the guard recorded in LOG (and its rotated backups), per
                call site and code location, as run-time evidence of each SDK
  -h, --help    show this help

Exit status: 0 done, 2 usage error (or typescript missing, or no log at --file).`;

export const inventoryCommand: Command = {
  name: 'inventory',
  summary: 'list the AI SDKs, models and providers the project uses (CycloneDX 1.6 BOM, JSON or Markdown)',
  usage: USAGE,
  async run(args) {
    let parsed;
    try {
      parsed = parseArgs({
        args,
        options: {
          format: { type: 'string' },
          file: { type: 'string' },
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
        `mima-guard inventory: ${first}; accepted: --format, --file, --help; see "mima-guard inventory --help"`,
      );
    }
    const { values, positionals } = parsed;
    if (values.help) {
      print(USAGE);
      return 0;
    }
    const format = values.format ?? 'cyclonedx';
    if (!(FORMATS as readonly string[]).includes(format)) {
      throw new UsageError(
        `mima-guard inventory: --format takes ${FORMATS.join(', ')}, not ${JSON.stringify(format)}`,
      );
    }
    const paths = positionals.length > 0 ? positionals : ['.'];
    let recorded: ReturnType<typeof summariseLogs>['groups'] = [];
    if (values.file !== undefined) {
      const summary = summariseLogs([path.resolve(values.file)], null);
      if (summary.missing.length > 0) {
        throw new UsageError(`mima-guard inventory: no log at ${JSON.stringify(values.file)}`);
      }
      recorded = summary.groups;
    }
    // Loaded here, as for scan: the guard and the other commands never load typescript.
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { scan } = require('../scan') as Scanner;
    const report = scan({ paths });
    const projectDir = (require('../scan/program') as ScanProgram).projectRoot(path.resolve(paths[0]));
    const ts = (require('../scan/typescript') as TypeScriptLoader).loadTypeScript(projectDir);
    /* eslint-enable @typescript-eslint/no-require-imports */
    const inventory = buildInventory(ts, report, projectDir, process.cwd(), recorded);
    if (format === 'md') print(inventoryMarkdown(inventory, values.file !== undefined, process.cwd()));
    else print(terminalJson(format === 'json' ? inventory : cyclonedxBom(inventory)));
    return 0;
  },
};
