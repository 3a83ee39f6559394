/**
 * Runs every benchmark and prints one table per section. Each measurement runs in a fresh
 * child process (build/bench/scenarios/*.js); the configurations of a section take turns
 * round-robin over BENCH_ROUNDS rounds, so a noisy neighbour hits them all alike.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { envNumber, runScenario, type ScenarioResult } from './child';
import { startLoopbackServer } from './loopback';
import { formatTable, median, type Row } from './stats';

const ROUNDS = envNumber('BENCH_ROUNDS', 8);

type Results = Map<string, ScenarioResult[]>;

async function runRounds(scenario: string, configs: string[], env: NodeJS.ProcessEnv): Promise<Results> {
  const file = path.join(__dirname, 'scenarios', `${scenario}.js`);
  const results: Results = new Map(configs.map((config) => [config, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < configs.length; i++) {
      const config = configs[(round + i) % configs.length];
      results.get(config)?.push(await runScenario(file, [config], env));
    }
  }
  return results;
}

/** The variant's samples, one array per run (round). */
function runs(results: Results, config: string, variant: string): number[][] {
  return (results.get(config) ?? []).map((result) => result.samples[variant] ?? []);
}

/** A fact as reported by every run of a configuration, or each distinct value when they differ. */
function fact(results: Results, config: string, name: string): string {
  const values = new Set((results.get(config) ?? []).map((result) => String(result.facts[name] ?? '-')));
  return [...values].join(' / ');
}

function section(title: string, lines: string[]): void {
  console.log(`\n${title}\n${'-'.repeat(title.length)}\n${lines.join('\n')}`);
}

async function openaiCall(env: NodeJS.ProcessEnv): Promise<void> {
  const setups = { otel: 'OTel context manager registered', standalone: 'no context manager (own store)' };
  const results = await runRounds('openai-call', Object.keys(setups), env);
  const lines: string[] = [];
  for (const [setup, label] of Object.entries(setups)) {
    const rows: Row[] = ['no guard', 'guard, inside attest()', 'guard, unattested (report mode)'].map(
      (variant) => ({ label: variant, runs: runs(results, setup, variant) }),
    );
    const records = results.get(setup)?.map((r) => `${r.facts.records}/${r.facts.expectedRecords}`) ?? [];
    lines.push(
      `${label}:`,
      formatTable(rows, { unit: 'µs', baseline: 'no guard' }),
      `JSONL records written per run (written/unattested calls): ${[...new Set(records)].join(', ')}`,
      '',
    );
  }
  section('1. openai chat.completions.create over loopback HTTP, µs per call', lines);
}

async function awaitCost(env: NodeJS.ProcessEnv): Promise<void> {
  const configs = {
    none: 'no context manager, never attested',
    'none+attest': 'no context manager, after one attest()',
    otel: 'OTel context manager, no attest()',
    'otel+attest': 'OTel context manager, after one attest()',
  };
  const results = await runRounds('await-cost', Object.keys(configs), env);
  const rows = (variant: string): Row[] =>
    Object.entries(configs).map(([config, label]) => ({ label, runs: runs(results, config, variant) }));
  const baseline = configs.none;
  const checks = Object.entries(configs).map(
    ([config, label]) =>
      `  ${label}: guard's own store exists: ${fact(results, config, 'ownStoreCreated')}; ` +
      `attest() entered a new AsyncLocalStorage: ${fact(results, config, 'newStoreEntered')}; ` +
      `isAttested() after an await inside attest(): ${fact(results, config, 'attestedAfterAwait')}; ` +
      `AsyncLocalStorage instances entered: ${fact(results, config, 'storesEntered')}`,
  );
  const perCall = Number(fact(results, 'none', 'asyncResourcesPerCall').split(' / ')[0]);
  const perAwait =
    median(runs(results, 'none+attest', 'await').flat()) - median(runs(results, 'none', 'await').flat());
  section('2. Cost of an active AsyncLocalStorage on every await (one process per run)', [
    'OTel rows: AsyncLocalStorageContextManager registered and used once, as a traced app does at its first span.',
    '',
    'ns per `await null` (loop of 1e6):',
    formatTable(rows('await'), { unit: 'ns', baseline, digits: 1 }),
    '',
    'openai loopback call through a MimaGovernance.wrap() client, µs per call:',
    formatTable(rows('call'), { unit: 'µs', baseline }),
    '',
    `an openai call creates about ${perCall} async resources (promises, timers, sockets); at +${perAwait.toFixed(0)} ns ` +
      `each that predicts about +${((perCall * perAwait) / 1000).toFixed(0)} µs per call with the store active`,
    '',
    'checks:',
    ...checks,
  ]);
}

async function isAttestedCost(env: NodeJS.ProcessEnv): Promise<void> {
  const results = await runRounds('is-attested', ['none', 'otel'], env);
  const row = (config: string, variant: string, label: string): Row => ({
    label,
    runs: runs(results, config, variant),
  });
  section('3. isAttested() and the patched method, ns per call', [
    formatTable(
      [
        row('none', 'isAttested(), no store yet', 'no context manager, no store, not attested'),
        row('none', 'isAttested(), not attested', 'no context manager, own store, not attested'),
        row('none', 'isAttested(), attested', 'no context manager, own store, attested'),
        row('otel', 'isAttested(), not attested', 'OTel context manager, not attested'),
        row('otel', 'isAttested(), attested', 'OTel context manager, attested'),
      ],
      { unit: 'ns', baseline: 'no context manager, no store, not attested', digits: 2 },
    ),
    '',
    'methodRequest: original called directly vs the guard wrapper on the attested path:',
    formatTable(
      [
        row('none', 'original methodRequest', 'original (no context manager process)'),
        row('none', 'patched methodRequest, attested', 'patched, attested via own store'),
      ],
      { unit: 'ns', baseline: 'original (no context manager process)', digits: 2 },
    ),
    formatTable(
      [
        row('otel', 'original methodRequest', 'original (OTel context manager process)'),
        row('otel', 'patched methodRequest, attested', 'patched, attested via OTel context'),
      ],
      { unit: 'ns', baseline: 'original (OTel context manager process)', digits: 2 },
    ),
    '',
    'a call through attest(fn) vs fn() itself (fn returns 1):',
    formatTable(
      [
        row('none', 'fn()', 'fn() (no context manager process)'),
        row('none', 'attest(fn)()', 'attest(fn)(), own store'),
      ],
      { unit: 'ns', baseline: 'fn() (no context manager process)', digits: 2 },
    ),
    formatTable(
      [
        row('otel', 'fn()', 'fn() (OTel context manager process)'),
        row('otel', 'attest(fn)()', 'attest(fn)(), OTel context'),
      ],
      { unit: 'ns', baseline: 'fn() (OTel context manager process)', digits: 2 },
    ),
    '',
    `guard's own store exists after attest(): no context manager: ${fact(results, 'none', 'ownStoreCreated')}; ` +
      `OTel context manager: ${fact(results, 'otel', 'ownStoreCreated')}`,
  ]);
}

async function main(): Promise<void> {
  const started = Date.now();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-bench-'));
  const server = await startLoopbackServer();
  // The scenarios write their JSONL reports here, never to ~/.mima.
  const env = {
    BENCH_TMP_DIR: tmp,
    BENCH_PORT: String(server.port),
    MIMA_GUARD_LOG_FILE: path.join(tmp, 'env.jsonl'),
  };
  const cpus = os.cpus();
  console.log('@mima-governance/instrumentation-guard benchmarks');
  console.log(
    `node ${process.version} ${process.platform}/${process.arch}, ${cpus.length} x ${cpus[0]?.model ?? '?'}, ` +
      `${ROUNDS} rounds (configurations interleaved round-robin), ${new Date().toISOString()}`,
  );
  // `node build/bench/run.js 2 3` runs only those sections.
  const only = process.argv.slice(2);
  try {
    for (const [name, run] of [
      ['1', openaiCall],
      ['2', awaitCost],
      ['3', isAttestedCost],
    ] as const) {
      if (only.length > 0 && !only.includes(name)) continue;
      const sectionStart = Date.now();
      await run(env);
      console.log(`(section ${name}: ${((Date.now() - sectionStart) / 1000).toFixed(1)} s)`);
    }
  } finally {
    await server.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  console.log(
    `\n${server.requests()} loopback requests; total ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
