/**
 * `npm run test:latest`: the conformance contract against what users install today. For each row
 * of the conformance table, its SDK's `latest` and the lowest version its definition supports are
 * installed into a throwaway folder (npm install --prefix) and run through the same contract, CommonJS
 * and ES module. Every failure names SDK, version and module system. Exit 0: all passed; 1: a case
 * or an install failed; 3: the registry could not be reached (nothing was tested, and it says so).
 * With MIMA_CI_RESULTS set, writes the counts as .ci/spec-with-counts.js does, for .ci/run's total.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pLimit from 'p-limit';
import { SDK_DEFINITIONS } from '../../src/app/sdks';
import { contractCases } from '../conformance/contract';
import { nodeSkipReason, runRow } from '../conformance/run-row';
import { CONFORMANCE_ROWS } from '../conformance/rows';
import type { ConformanceRow } from '../conformance/row';
import { latestAndLowest, npm } from './registry';

export const REGISTRY_UNREACHABLE = 3;

const counts = { passes: 0, failures: 0, pending: 0, failed: [] as string[] };

/** Where a row's lines go: rows run two at a time, so each prints its lines together when done. */
type Log = (line: string) => void;

function fail(log: Log, label: string, message: string): void {
  counts.failures++;
  counts.failed.push(`${label}: ${message.split('\n')[0].slice(0, 300)}`);
  log(`  FAIL ${label}: ${message}`);
}

async function reachable(): Promise<string | undefined> {
  try {
    await npm(['view', 'openai', 'version', '--fetch-retries=0', '--fetch-timeout=15000'], 30_000);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** One SDK version: installed with its companions, then every module system of the row. */
async function testVersion(log: Log, row: ConformanceRow, version: string, kind: string): Promise<void> {
  const label = `${row.module}@${version} (${kind})`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-latest-'));
  const cases = contractCases(row);
  try {
    const started = Date.now();
    try {
      const packages = [`${row.module}@${version}`, ...(row.companions?.(version) ?? [])];
      await npm([
        'install',
        '--prefix',
        dir,
        '--no-save',
        '--no-package-lock',
        '--no-audit',
        '--no-fund',
        ...packages,
      ]);
    } catch (error) {
      fail(log, `${label}: npm install`, (error as Error).message);
      return;
    }
    log(`${label}: installed in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    for (const system of row.moduleSystems) {
      const skip = nodeSkipReason(row, dir);
      if (skip) {
        counts.pending += cases.length;
        log(`  ${system}: skipped: ${skip}`);
        continue;
      }
      try {
        const report = await runRow(row, dir, system);
        const failed = report.cases.filter((c) => c.error);
        const skipped = report.cases.filter((c) => c.skipped);
        counts.passes += report.cases.length - failed.length - skipped.length;
        counts.pending += skipped.length;
        for (const c of failed) fail(log, `${row.module}@${report.version} ${system}: ${c.name}`, c.error!);
        const passed = report.cases.length - failed.length - skipped.length;
        const notes = skipped.map((c) => `; skipped: ${c.skipped}`).join('');
        log(`  ${system}: ${passed}/${cases.length} passed${notes}`);
      } catch (error) {
        fail(log, `${row.module}@${version} ${system}`, (error as Error).message);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const ROWS_AT_ONCE = 2;

/** A row's `latest`, then its lowest supported version when that differs. */
async function testRow(row: ConformanceRow, log: Log): Promise<void> {
  const definition = SDK_DEFINITIONS.find((d) => d.module === row.module)!;
  let versions: { latest: string; lowest?: string };
  try {
    versions = await latestAndLowest(row.module, definition.supportedVersions);
  } catch (error) {
    fail(log, `${row.module}: npm view`, (error as Error).message);
    return;
  }
  await testVersion(log, row, versions.latest, 'latest');
  if (!versions.lowest) fail(log, `${row.module}`, `no published version in ${definition.supportedVersions}`);
  else if (versions.lowest !== versions.latest)
    await testVersion(log, row, versions.lowest, 'lowest supported');
}

async function main(): Promise<number> {
  console.log(`test:latest on Node ${process.version}`);
  const unreachable = await reachable();
  if (unreachable) {
    console.log(
      `test:latest: skipped: registry unreachable, nothing was tested (${unreachable.split('\n')[0]})`,
    );
    return REGISTRY_UNREACHABLE;
  }
  // `run.js <pkg>@<version> ...`: just those (bisecting a range); otherwise latest and lowest of every row.
  const targets = process.argv.slice(2);
  const print: Log = (line) => console.log(line);
  for (const target of targets) {
    const at = target.lastIndexOf('@');
    const row = CONFORMANCE_ROWS.find((r) => r.module === target.slice(0, at));
    if (at <= 0 || !row) fail(print, target, 'not <module>@<version> of a conformance row');
    else await testVersion(print, row, target.slice(at + 1), 'named');
  }
  // Two rows at a time: one row's npm install waits on the network while the other's cases run.
  const limit = pLimit(ROWS_AT_ONCE);
  await Promise.all(
    (targets.length > 0 ? [] : CONFORMANCE_ROWS).map((row) =>
      limit(async () => {
        const lines: string[] = [];
        await testRow(row, (line) => lines.push(line));
        console.log(lines.join('\n'));
      }),
    ),
  );
  const results = process.env.MIMA_CI_RESULTS;
  const tests = counts.passes + counts.failures + counts.pending;
  if (results) fs.writeFileSync(results, `${JSON.stringify({ ...counts, tests })}\n`);
  console.log(`test:latest: ${counts.passes} passed, ${counts.failures} failed, ${counts.pending} skipped`);
  for (const line of counts.failed) console.log(`  - ${line}`);
  return counts.failures > 0 ? 1 : 0;
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
