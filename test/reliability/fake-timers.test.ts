import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runChild } from '../helpers/child-app';
import { ROOT } from '../helpers/guard';
import { startMockOpenAI, type MockOpenAI } from '../helpers/runner-project';
import { tempDir } from './helpers';

const APP = path.join(ROOT, 'build', 'test', 'fixtures', 'reliability', 'fake-timers-app.js');

/** Runs the app in report mode (asynchronously: the mock server answers from this process). */
const run = (env: Record<string, string>) => runChild([APP], { MIMA_GUARD_MODE: 'report', ...env });

describe("reliability: a test's fake clock neither sees nor holds the guard's timers (child process)", () => {
  let mock: MockOpenAI;
  let dir: string;

  before(async () => {
    mock = await startMockOpenAI();
    dir = tempDir('mima-fake-timers-');
  });

  after(async () => {
    await mock.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('@sinonjs/fake-timers installed with no daemon: no guard timer on the fake clock after 120 s, both records written on the real one', async function () {
    this.timeout(30_000);
    const result = await run({
      MOCK_URL: mock.url,
      MIMA_GUARD_LOG_FILE: path.join(dir, 'guard_log.jsonl'),
      MIMA_DAEMON_SOCKET: path.join(dir, 'no-daemon.sock'),
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^on disk 2$/m, result.stdout);
    // Node 24's fetch re-arms its own connection timers through the global setTimeout, so the fake
    // clock holds some of them whatever the guard does: the guard adds none to what the same app
    // leaves on it without the guard.
    const without = await run({ MOCK_URL: mock.url, GUARD: '0' });
    const timers = (output: string) => Number(/^fake timers (\d+)$/m.exec(output)?.[1]);
    assert.ok(Number.isInteger(timers(without.stdout)), without.stdout + without.stderr);
    assert.equal(timers(result.stdout), timers(without.stdout), result.stdout);
  });
});
