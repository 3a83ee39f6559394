import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';
import type { Mode } from '../src/app/types';
import { ROOT } from './helpers/guard';
import { readLogRecords } from './helpers/log-lines';
import { installGuard, lineOf, startMockOpenAI, type MockOpenAI } from './helpers/runner-project';

/**
 * An app bundled with esbuild, openai and the guard inside the bundle: no module hook can see an
 * SDK copy that never goes through require() or import, so the app hands it to the guard with
 * enableGuard({ modules: { openai } }) (test/fixtures/bundle/src/app.js, the README's example).
 */
const PROJECT = path.join(ROOT, 'test', 'fixtures', 'bundle');
const APP = path.join(PROJECT, 'src', 'app.js');
const EXIT_APP = path.join(PROJECT, 'src', 'exit-app.js');
const run = promisify(execFile);

describe('esbuild bundle with the modules option (test/fixtures/bundle)', function () {
  this.timeout(60_000);
  this.slow(5_000);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-bundle-'));
  const bundle = path.join(out, 'app.js');
  const exitBundle = path.join(out, 'exit-app.js');
  const where = () => `${path.join('src', 'app.js')}:${lineOf(APP, '// unattested')}`;
  let mock: MockOpenAI;
  let inputs: string[];

  before(async () => {
    installGuard(PROJECT);
    mock = await startMockOpenAI();
    const result = await esbuild.build({
      entryPoints: [APP, EXIT_APP],
      bundle: true,
      platform: 'node',
      sourcemap: true,
      outdir: out,
      metafile: true,
      logLevel: 'silent',
    });
    inputs = Object.keys(result.metafile.inputs);
  });

  after(async () => {
    await mock?.close();
    fs.rmSync(out, { recursive: true, force: true });
  });

  async function runBundle(mode: Mode, ...flags: string[]) {
    const { stdout, stderr, records } = await runFile(bundle, mode, ...flags);
    return { ...(JSON.parse(stdout) as { attested: string; unattested: string }), stderr, records };
  }

  async function runFile(file: string, mode: Mode, ...flags: string[]) {
    const logFile = path.join(
      out,
      `${path.relative(out, file).replace(/\W/g, '_')}-${mode}${flags.join('')}.jsonl`,
    );
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.NODE_V8_COVERAGE; // coverage is measured on build/src, not on the bundle
    const { stdout, stderr } = await run(process.execPath, [...flags, file], {
      cwd: PROJECT,
      env: {
        ...env,
        MIMA_GUARD_MODE: mode,
        MIMA_GUARD_LOG_FILE: logFile,
        MIMA_DAEMON_SOCKET: path.join(out, 'no-daemon.sock'),
        OPENAI_BASE_URL: mock.url,
      },
    });
    const records = readLogRecords(logFile, { missing: 'empty' });
    return { stdout, stderr, records };
  }

  it('bundles openai and the guard (nothing for the module hooks to see)', () => {
    assert.ok(inputs.some((input) => input.includes('node_modules/openai/')));
    assert.ok(inputs.some((input) => input.includes('node_modules/@mima-governance/instrumentation-guard/')));
  });

  it('block mode, --enable-source-maps: the unattested call fails naming the source line', async () => {
    const before = mock.requests;
    const result = await runBundle('block', '--enable-source-maps');
    assert.equal(result.attested, 'hello');
    assert.ok(
      result.unattested.startsWith(
        `MimaAttestationError: Unattested AI call openai.OpenAI.chat at ${where()} `,
      ),
      result.unattested,
    );
    assert.equal(mock.requests - before, 1);
  });

  it('report mode, --enable-source-maps: one record at the source line', async () => {
    const result = await runBundle('report', '--enable-source-maps');
    assert.equal(result.unattested, 'sent');
    assert.deepEqual(
      result.records.map((r) => [r.call_site, `${r.code_file}:${r.code_line}`]),
      [['openai.OpenAI.chat', where()]],
    );
  });

  it('warn mode, --enable-source-maps: the warning names the source line', async () => {
    const result = await runBundle('warn', '--enable-source-maps');
    assert.equal(result.unattested, 'sent');
    assert.match(
      result.stderr,
      new RegExp(`Unattested AI call openai\\.OpenAI\\.chat at ${escape(where())} `),
    );
    assert.deepEqual(
      result.records.map((r) => `${r.code_file}:${r.code_line}`),
      [where()],
    );
  });

  it('--enable-source-maps, process.exit() right after three calls: three records at the source line', async () => {
    // The map is decoded off the event loop; an exit that comes first decodes it on the way out.
    const { records } = await runFile(exitBundle, 'report', '--enable-source-maps');
    const line = `${path.join('src', 'exit-app.js')}:${lineOf(EXIT_APP, '// unattested')}`;
    assert.deepEqual(
      records.map((r) => `${r.call_site} ${r.code_file}:${r.code_line}`),
      Array(3).fill(`openai.OpenAI.chat ${line}`),
    );
    assert.equal(new Set(records.map((r) => r.id)).size, 3);
  });

  it('the guard bundled from its own build, with its source maps: the record names the app, not the guard', async () => {
    // esbuild follows the guard's own .js.map files into its TypeScript (src/*.ts of this
    // repository, outside node_modules): only the patched method's wrapper, below which the stack
    // is captured, keeps the guard's frames from being taken for the caller's.
    const linked = path.join(out, 'linked');
    await esbuild.build({
      entryPoints: [APP],
      bundle: true,
      platform: 'node',
      sourcemap: true,
      outdir: linked,
      alias: { '@mima-governance/instrumentation-guard': path.join(ROOT, 'build', 'src', 'index.js') },
      logLevel: 'silent',
    });
    const { stdout, records } = await runFile(path.join(linked, 'app.js'), 'report', '--enable-source-maps');
    assert.equal((JSON.parse(stdout) as { unattested: string }).unattested, 'sent');
    assert.deepEqual(
      records.map((r) => `${r.code_file}:${r.code_line}`),
      [where()],
    );
  });

  it('without source maps the call is still blocked, with no code location (the bundle is all one file)', async () => {
    const result = await runBundle('block');
    assert.equal(result.attested, 'hello');
    assert.match(
      result.unattested,
      /^MimaAttestationError: Unattested AI call openai\.OpenAI\.chat was blocked/,
    );
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
