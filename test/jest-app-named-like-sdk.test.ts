import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from './helpers/guard';
import { readLogRecords } from './helpers/log-lines';
import { childEnv, runNode } from './helpers/node-child';
import { installGuard, lineOf, startMockOpenAI, type MockOpenAI } from './helpers/runner-project';

/**
 * Under the one-line Jest setup, a module outside node_modules whose nearest package.json is named
 * like a supported SDK is taken for that SDK's own repository, and its src/ for SDK code. An app
 * merely named "openai" (version 1.0.0, outside openai's supported range) that calls the installed
 * SDK from src/ had its frames skipped: the record named the test's line (tests/ beside src/) or
 * nothing (tests under src/). The version must now be one the SDK supports.
 */
const PROJECT = path.join(ROOT, 'test', 'fixtures', 'jest-app-named-openai');
const JESTS = [
  { major: 30, bin: path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js') },
  { major: 29, bin: path.join(ROOT, 'node_modules', 'jest29', 'bin', 'jest.js') },
];

async function located(bin: string, url: string, colocated: boolean): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-jest-named-'));
  try {
    const logFile = path.join(dir, 'log.jsonl');
    const env = childEnv({
      MIMA_GUARD_MODE: 'report',
      MIMA_GUARD_LOG_FILE: logFile,
      MIMA_DAEMON_SOCKET: path.join(dir, 'no-daemon.sock'),
      OPENAI_BASE_URL: url,
      COLOCATED: colocated ? '1' : '',
      CI: 'true',
      NO_COLOR: '1',
    });
    const { status, output } = await runNode(['--enable-source-maps', bin, '--ci', '--no-watchman'], {
      cwd: PROJECT,
      env,
    });
    assert.equal(status, 0, output);
    return readLogRecords(logFile).map((r) => `${r.call_site} ${r.code_file}:${r.code_line}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

for (const { major, bin } of JESTS)
  describe(`Jest ${major} in one line: an app whose package.json is named "openai"`, function () {
    this.timeout(60_000);
    let mock: MockOpenAI;
    before(async () => {
      installGuard(PROJECT);
      fs.writeFileSync(
        path.join(PROJECT, 'package.json'),
        JSON.stringify({ name: 'openai', version: '1.0.0', private: true }),
      );
      mock = await startMockOpenAI();
    });
    after(async () => {
      await mock?.close();
      fs.rmSync(path.join(PROJECT, 'package.json'), { force: true });
      fs.rmSync(path.join(PROJECT, 'node_modules'), { recursive: true, force: true });
    });
    const expected = () =>
      `openai.OpenAI.chat src/index.js:${lineOf(path.join(PROJECT, 'src', 'index.js'), '// app call')}`;

    it('tests in tests/: the record names the app line in src/, not the test', async () => {
      assert.deepEqual(await located(bin, mock.url, false), [expected()]);
    });

    it('tests under src/__tests__: the record names the app line, not null', async () => {
      assert.deepEqual(await located(bin, mock.url, true), [expected()]);
    });
  });
