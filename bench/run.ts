/**
 * `npm run bench`: every figure of the guard's cost, side by side with its baseline, in one run.
 * Prints each case's detail as it finishes, then the summary table (met / missed against the
 * targets), and writes the results as JSON: bench/results.json for a full run, a temp file for
 * `--quick` (which only proves that every case runs and loses nothing). Exits non-zero when a case
 * fails or loses a record; a missed time target does not fail the run (shared machines are noisy).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bundleCase } from './cases/bundle';
import { daemonCase } from './cases/daemon';
import { jsonlCase } from './cases/jsonl';
import { loopbackCase } from './cases/loopback';
import { memoryCase } from './cases/memory';
import { microCase } from './cases/micro';
import { noAttestCase } from './cases/no-attest';
import { scanCase } from './cases/scan';
import { serviceCase } from './cases/service';
import { startupCase } from './cases/startup';
import type { CaseContext, CaseOutcome } from './cases/context';
import { summaryTable, type Figure } from './figures';
import { startLoopbackServer } from './loopback';
import { CASE_NAMES, parseOptions, type CaseName } from './options';

const CASES: Record<CaseName, { title: string; run: (ctx: CaseContext) => Promise<CaseOutcome> }> = {
  micro: { title: 'In-process: flag check, attest(), unattested call (tinybench)', run: microCase },
  loopback: { title: 'openai chat completion over loopback: guard and peer vs no guard', run: loopbackCase },
  'no-attest': { title: 'App without a context manager that never calls attest()', run: noAttestCase },
  jsonl: { title: 'JSONL writer throughput, with rotation', run: jsonlCase },
  daemon: { title: 'Daemon: acknowledged records from 4 clients', run: daemonCase },
  memory: { title: 'Memory', run: memoryCase },
  startup: { title: 'Start-up: require + enable, then require("openai")', run: startupCase },
  scan: { title: 'Static scan: mima-guard scan of a generated project', run: scanCase },
  bundle: { title: 'esbuild bundle, with and without --enable-source-maps', run: bundleCase },
  service: { title: 'HTTP service at saturation (autocannon): guard and peer vs bare', run: serviceCase },
};

/** The package root: results.json goes to its bench/, whatever the working directory. */
const ROOT = path.resolve(__dirname, '..', '..');

function machine(): Record<string, string | number> {
  const cpuinfo = fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '';
  return {
    node: process.version,
    platform: `${process.platform}/${process.arch}`,
    nproc: os.availableParallelism(),
    cpu: /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  };
}

/**
 * Numbers to 6 significant digits, laid out as the repository's Prettier lays out JSON, so that the
 * file passes `prettier --check` as written (plain JSON.stringify layout when Prettier is missing).
 */
async function formatJson(value: unknown): Promise<string> {
  const text = JSON.stringify(
    value,
    (_key, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(6)) : v),
    2,
  );
  try {
    const prettier = await import('prettier');
    const options = (await prettier.resolveConfig(path.join(ROOT, 'bench', 'results.json'))) ?? {};
    return await prettier.format(text, { ...options, parser: 'json' });
  } catch {
    return `${text}\n`;
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const started = Date.now();
  const selected = CASE_NAMES.filter((name) => options.only.length === 0 || options.only.includes(name));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-bench-'));
  const host = machine();
  const command = `npm run bench${options.quick ? ' -- --quick' : ''}${options.only.length ? ` ${options.only.join(' ')}` : ''}`;
  console.log(`@mima-governance/instrumentation-guard benchmark (${options.quick ? 'quick' : 'full'} run)`);
  console.log(
    `node ${host.node} ${host.platform}, ${host.nproc} CPUs (${host.cpu}), ${new Date().toISOString()}`,
  );

  const needsServer = selected.some(
    (name) => name === 'loopback' || name === 'no-attest' || name === 'bundle',
  );
  const server = needsServer ? await startLoopbackServer() : undefined;
  const env: NodeJS.ProcessEnv = {
    BENCH_TMP_DIR: tmp,
    BENCH_PORT: String(server?.port ?? 0),
    // Whatever a scenario enables, its reports stay in tmp and no daemon on the machine gets them.
    MIMA_GUARD_LOG_FILE: path.join(tmp, 'env-guard.jsonl'),
    MIMA_DAEMON_SOCKET: path.join(tmp, 'no-daemon.sock'),
  };

  const figures: Figure[] = [];
  const details: Record<string, unknown> = {};
  const failures: string[] = [];
  try {
    for (const name of selected) {
      const { title, run } = CASES[name];
      const heading = `${name}: ${title}`;
      console.log(`\n${heading}\n${'-'.repeat(heading.length)}`);
      const caseStart = Date.now();
      try {
        const outcome = await run({
          quick: options.quick,
          sizes: options.sizes,
          tmp,
          env,
          print: (text = '') => console.log(text),
        });
        figures.push(...outcome.figures);
        details[name] = outcome.details;
        for (const figure of outcome.figures) {
          if (figure.lost) failures.push(`${figure.id}: ${figure.lost} records lost`);
        }
      } catch (error) {
        failures.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
        console.error(error);
      }
      console.log(`(${name}: ${((Date.now() - caseStart) / 1000).toFixed(1)} s)`);
    }
  } finally {
    const requests = await server?.close();
    if (requests !== undefined) console.log(`\n${requests} loopback requests answered`);
    fs.rmSync(tmp, { recursive: true, force: true });
  }

  const seconds = (Date.now() - started) / 1000;
  console.log(`\nSummary (${command}, ${seconds.toFixed(0)} s)\n`);
  console.log(summaryTable(figures, options.quick));
  const results = {
    command,
    quick: options.quick,
    date: new Date().toISOString(),
    seconds: Math.round(seconds),
    machine: host,
    figures,
    details,
    failures,
  };
  // Only a full run of every case is the record; quick runs and subsets go to a temp file.
  const file =
    options.quick || options.only.length
      ? path.join(os.tmpdir(), `mima-bench-${options.quick ? 'quick' : 'partial'}.json`)
      : path.join(ROOT, 'bench', 'results.json');
  fs.writeFileSync(file, await formatJson(results));
  console.log(`\nresults: ${file}`);
  if (failures.length) {
    console.error(`\nFAILED:\n${failures.map((f) => `  - ${f}`).join('\n')}`);
    process.exit(1);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
