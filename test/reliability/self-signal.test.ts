import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from '../helpers/guard';
import { tempDir } from './helpers';

const GUARD = path.join(ROOT, 'build', 'src', 'index.js');

/**
 * A JavaScript signal listener makes Node handle the signal on the event loop: a process that
 * signals itself from its last callback, with nothing else keeping the loop alive, then exited 0
 * instead of dying by the signal. A Ctrl-C'd command line tool reported success to its shell.
 * The guard listens only while records wait in memory, so an app that holds none ends as it
 * would without the guard.
 */
const APPS: Record<string, string> = {
  'signals itself from a timer': `setTimeout(() => process.kill(process.pid, 'SIGTERM'), 20);`,
  'cleans up on SIGINT, then re-raises it': `
    const keep = setInterval(() => {}, 1000);
    process.once('SIGINT', async () => {
      clearInterval(keep);
      await new Promise((r) => setTimeout(r, 50));
      process.kill(process.pid, 'SIGINT');
    });
    setTimeout(() => process.kill(process.pid, 'SIGINT'), 20);`,
};

describe('a process that signals itself ends the same with the guard', () => {
  let home: string;
  before(() => {
    home = tempDir('mima-selfsig-');
  });
  after(() => fs.rmSync(home, { recursive: true, force: true }));

  for (const [what, body] of Object.entries(APPS)) {
    it(what, () => {
      const ending = (guard: boolean) => {
        const enable = guard ? `require(${JSON.stringify(GUARD)}).enableGuard('report');` : '';
        const result = spawnSync(process.execPath, ['-e', `${enable}\n${body}`], {
          encoding: 'utf8',
          timeout: 20_000,
          env: { ...process.env, HOME: home, MIMA_GUARD_LOG_FILE: path.join(home, 'guard_log.jsonl') },
        });
        return { status: result.status, signal: result.signal, stderr: result.stderr };
      };
      const without = ending(false);
      assert.ok(without.signal, `without the guard it dies by the signal: ${JSON.stringify(without)}`);
      assert.deepEqual(ending(true), without);
    });
  }
});

describe("the guard's listeners do not count against the app's listener limit", () => {
  it('an app with ten exit and SIGINT listeners of its own gets no MaxListenersExceededWarning', () => {
    const home = tempDir('mima-maxlisteners-');
    try {
      const body = `require(${JSON.stringify(GUARD)}).enableGuard('report');
        for (let i = 0; i < 10; i++) { process.on('exit', () => {}); process.on('SIGINT', () => {}); }`;
      const result = spawnSync(process.execPath, ['-e', body], {
        encoding: 'utf8',
        timeout: 20_000,
        env: { ...process.env, HOME: home, MIMA_GUARD_LOG_FILE: path.join(home, 'guard_log.jsonl') },
      });
      assert.equal(result.status, 0);
      assert.equal(result.stderr, '');
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
