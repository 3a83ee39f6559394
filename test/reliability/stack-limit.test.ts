import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Mode } from '../../src/app/types';
import { runChild } from '../helpers/child-app';
import { ROOT } from '../helpers/guard';
import { startMockOpenAI, type MockOpenAI } from '../helpers/runner-project';
import { tempDir } from './helpers';

const APP = path.join(ROOT, 'build', 'test', 'fixtures', 'reliability', 'deep-call.js');
const BLOCKED_PORT_URL = 'http://127.0.0.1:9/v1';

/**
 * Before: the first unattested call near the stack limit compiled the SDK definition's regular
 * expressions there (`split(/[/?]/)` builds a new one on every call), and V8 aborted the process:
 * "FATAL ERROR: RegExpCompiler Allocation failed", exit 134.
 */
describe('reliability: unattested calls near the stack limit (child processes, real openai)', function () {
  this.timeout(120_000);
  this.slow(20_000);
  const dir = tempDir('mima-stack-');
  let mock: MockOpenAI;

  before(async () => {
    mock = await startMockOpenAI();
  });

  after(async () => {
    await mock?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function runApp(scenario: string, mode: Mode, url = mock.url) {
    return runChild(
      [APP, scenario],
      {
        MOCK_URL: url,
        MIMA_GUARD_MODE: mode,
        MIMA_GUARD_LOG_FILE: path.join(dir, `${scenario}-${mode}.jsonl`),
        MIMA_DAEMON_SOCKET: path.join(dir, 'no-daemon.sock'),
      },
      false,
      { cwd: ROOT, killAfterMs: 100_000 },
    );
  }

  for (const mode of ['block', 'warn', 'report'] as const) {
    it(`${mode} mode: the process never aborts, and no RangeError of the guard's reaches the app`, async () => {
      // Port 9 is on fetch's blocked-port list: every request fails at once, before connecting,
      // and openai's code is warmed up on that path, where the abort showed (exit 134 before).
      const run = await runApp('deep', mode, BLOCKED_PORT_URL);
      assert.ok(!run.stderr.includes('FATAL ERROR'), run.stderr.slice(0, 2000));
      assert.equal(run.code, 0, run.stderr.slice(-2000));
      const counts = JSON.parse(run.stdout) as { calls: number; guardRangeErrors: string[] };
      assert.ok(counts.calls >= 600);
      assert.deepEqual(counts.guardRangeErrors, []);
    });
  }

  it('no regular expression runs under a guard frame during an unattested call', async () => {
    const run = await runApp('regex-spy', 'report');
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual((JSON.parse(run.stdout) as { regexes: string[] }).regexes, []);
  });
});
