/**
 * One conformance run in its own process, started by run-row.ts as
 *   node --require <guard>/register child.js <row> <install dir> cjs
 *   node --import <guard>/register child.js <row> <install dir> esm
 * with MIMA_GUARD_LOG_FILE set: the guard is enabled the way an app enables it, the SDK is loaded
 * from the install dir by its bare name (require(), or import from an ES module), and every case of
 * the contract runs against a local mock server. Prints one JSON line: the version and each case's
 * outcome.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { enableGuard } from '../../src/app/enable';
import { activeGuard } from '../../src/app/guard';
import { readLogRecords } from '../helpers/log-lines';
import { contractCases, type ContractEnv } from './contract';
import { packageDir } from './install-dir';
import { startMockServer } from './mock-server';
import type { ModuleSystem, RowContext } from './row';
import { CONFORMANCE_ROWS } from './rows';

/** import(), which TypeScript's CommonJS output would turn into require(). */
const importModule = new Function('url', 'return import(url)') as (url: string) => Promise<unknown>;

export interface CaseOutcome {
  name: string;
  error?: string;
  skipped?: string;
}

export interface ChildReport {
  version: string;
  cases: CaseOutcome[];
}

/** The package of a bare specifier: '@mastra/core' of '@mastra/core/agent'. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return parts.slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
}

/**
 * Loads `name` (a package, or one of its subpath exports) as an app in `installDir` would:
 * require() of the bare name, or an ES module's import of it (from a one-line module in
 * `workDir`, whose node_modules links to the package).
 */
async function loadPackage(name: string, installDir: string, system: ModuleSystem, workDir: string) {
  if (system === 'cjs')
    return createRequire(path.join(installDir, 'app.js'))(name) as Record<string, unknown>;
  const found = packageDir(packageOf(name), installDir);
  if (!found) throw new Error(`${name} is not installed in ${installDir}`);
  const link = path.join(workDir, 'node_modules', packageOf(name));
  fs.mkdirSync(path.dirname(link), { recursive: true });
  if (!fs.existsSync(link)) fs.symlinkSync(found, link, 'dir');
  const shim = path.join(workDir, `import-${name.replace(/[@/]/g, '_')}.mjs`);
  fs.writeFileSync(shim, `export * as sdk from '${name}';\n`);
  return ((await importModule(pathToFileURL(shim).href)) as { sdk: Record<string, unknown> }).sdk;
}

async function main(): Promise<void> {
  const [rowName, installDir, system, workDir] = process.argv.slice(2) as [
    string,
    string,
    ModuleSystem,
    string,
  ];
  const row = CONFORMANCE_ROWS.find((r) => r.name === rowName);
  if (!row) throw new Error(`no conformance row ${rowName}`);
  const logFile = process.env.MIMA_GUARD_LOG_FILE!;
  // The same instance the register hook enabled: only its mode changes from case to case.
  const guard = enableGuard({ mode: 'warn' });
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  guard.setTracerProvider(provider);

  const sdk = await loadPackage(row.module, installDir, system, workDir);
  const version = (
    JSON.parse(fs.readFileSync(path.join(packageDir(row.module, installDir)!, 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
  const server = await startMockServer(row);
  const ctx: RowContext = {
    sdk,
    version,
    origin: server.origin,
    load: (name) => loadPackage(name, installDir, system, workDir),
  };
  const client = await row.client(ctx);
  const env: ContractEnv = {
    row,
    ctx,
    client,
    server,
    requests: () => (row.requests ? row.requests(client) : server.requests),
    logFile,
    spans: exporter,
    warnings: [],
    errors: [],
    setMode: (mode) => void enableGuard({ mode }),
    async records() {
      await activeGuard()?.sinks.flush();
      return readLogRecords(logFile, { missing: 'empty' });
    },
  };
  process.on('warning', (warning) => {
    if (warning.name !== 'MimaUnattestedCallWarning') return;
    env.warnings.push(warning.message);
    env.errors.push(warning.message);
  });

  const cases: CaseOutcome[] = [];
  for (const contractCase of contractCases(row)) {
    await activeGuard()?.sinks.flush();
    if (fs.existsSync(logFile)) fs.truncateSync(logFile, 0);
    env.warnings.length = 0;
    try {
      const result = await contractCase.run(env);
      cases.push({ name: contractCase.name, ...(result && { skipped: result.skipped }) });
    } catch (error) {
      cases.push({ name: contractCase.name, error: error instanceof Error ? error.message : String(error) });
    }
  }
  await server.close();
  await provider.shutdown();
  trace.disable();
  process.stdout.write(`${JSON.stringify({ version, cases } satisfies ChildReport)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`conformance child failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 2;
});
