import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startDaemon } from '../../src/command/daemon/server';
import { activeGuard } from '../../src/app/guard';
import { clearRecords, useGuard } from '../helpers/guard';
import { loadOpenAI, makeClient } from '../helpers/openai';
import { isolateSdkTests } from '../helpers/sdk-suite';
import {
  captureAllDiag,
  daemonConnected,
  openaiTarget,
  readLog,
  tempDir,
  until,
  type Target,
} from './helpers';

const mode = (file: string) => fs.statSync(file).mode & 0o7777;
const IS_ROOT = process.geteuid?.() === 0;
/** An account that is not ours: only root can give it a file (chown). */
const NOBODY = 65534;

describe('reliability: the modes of what the guard creates, and log paths it refuses', () => {
  let target: Target;

  before(() => {
    target = openaiTarget(makeClient(loadOpenAI(6)));
  });

  isolateSdkTests();

  afterEach(async () => {
    useGuard({ mode: 'warn' });
    await clearRecords();
  });

  async function unattestedCalls(count: number): Promise<void> {
    target.mock(count);
    for (let i = 0; i < count; i++) assert.equal(await target.call(), 'hello');
  }

  it('creates every directory of the log path 0700 and the log and its rotated backups 0600', async () => {
    const root = tempDir();
    const logFile = path.join(root, 'a', 'b', 'guard_log.jsonl');
    // One record per file: every batch rotates.
    useGuard({ mode: 'report', logFile, maxBytes: 200, backups: 2 });
    for (let i = 0; i < 3; i++) {
      await unattestedCalls(1);
      await activeGuard()!.sinks.flush();
    }
    assert.equal(mode(path.join(root, 'a')), 0o700);
    assert.equal(mode(path.join(root, 'a', 'b')), 0o700);
    for (const file of [logFile, `${logFile}.1`, `${logFile}.2`]) assert.equal(mode(file), 0o600, file);
    assert.ok(!fs.existsSync(`${logFile}.lock`), 'the rotation lock is gone');
  });

  it('the daemon creates its socket directory 0700, its socket 0600 and its log 0600', async () => {
    const root = tempDir();
    const socketPath = path.join(root, 'run', 'd.sock');
    const daemonLog = path.join(root, 'logs', 'daemon_log.jsonl');
    const daemon = await startDaemon({ socketPath, logFile: daemonLog });
    try {
      assert.equal(mode(path.dirname(socketPath)), 0o700);
      assert.ok(fs.statSync(socketPath).isSocket());
      assert.equal(mode(socketPath), 0o600);
      useGuard({ mode: 'warn', socketPath });
      await until(daemonConnected, 'the guard connected to the daemon');
      await unattestedCalls(2);
      await until(() => readLog(daemonLog).records.length === 2, 'the daemon logged the records');
      assert.equal(mode(path.dirname(daemonLog)), 0o700);
      assert.equal(mode(daemonLog), 0o600);
    } finally {
      useGuard({ mode: 'warn' });
      await daemon.close();
    }
  });

  // The symlinked log path is refused by the JSONL sink: test/jsonl-sink.test.ts ("refuses a log
  // path that is a symlink"). Here: directories another user could tamper with.
  const unsafeDirectories: Array<[string, number, RegExp]> = [
    ['writable by others', 0o707, /writable by others \(mode 0707\)/],
    ['writable by its group', 0o770, /writable by its group \(mode 0770\)/],
    ['sticky and world-writable, like /tmp', 0o1777, /writable by others \(mode 1777\)/],
  ];
  for (const [what, dirMode, reason] of unsafeDirectories) {
    it(`refuses a log directory ${what}: one diag error naming the path and the rule; records kept, written once it is fixed`, async () => {
      const dir = path.join(tempDir(), 'logs');
      fs.mkdirSync(dir);
      fs.chmodSync(dir, dirMode);
      const logFile = path.join(dir, 'guard_log.jsonl');
      const { guard } = await captureAllDiag(async () => {
        useGuard({ mode: 'warn', logFile });
        await unattestedCalls(3);
        await activeGuard()!.sinks.flush();
        await unattestedCalls(2);
        await activeGuard()!.sinks.flush();
      });
      const refusals = guard.filter((m) => m.includes('refusing'));
      assert.equal(refusals.length, 1, JSON.stringify(guard));
      assert.ok(refusals[0].includes(logFile), 'names the log path');
      assert.match(refusals[0], reason);
      assert.match(refusals[0], /owned by you \(or root\) that neither group nor others can write/);
      assert.ok(!fs.existsSync(logFile), 'nothing was written there');
      fs.chmodSync(dir, 0o700);
      await until(() => readLog(logFile).records.length === 5, 'the kept records are written');
      assert.equal(mode(logFile), 0o600);
    });
  }

  // SECURITY.md: a log directory given as a symlink is judged as the link (whose owner decides
  // where it points), then as the directory it points to. Another user's link: second-user.test.ts.
  it('accepts a log directory that is our own symlink to a directory that passes the rules (~/.mima → elsewhere)', async () => {
    const real = path.join(tempDir(), 'real');
    fs.mkdirSync(real, { mode: 0o700 });
    const link = path.join(tempDir(), 'mima');
    fs.symlinkSync(real, link);
    const logFile = path.join(link, 'guard_log.jsonl');
    useGuard({ mode: 'warn', logFile });
    await unattestedCalls(2);
    await activeGuard()!.sinks.flush();
    assert.equal(readLog(path.join(real, 'guard_log.jsonl')).records.length, 2);
  });

  it('refuses our own symlink to a directory others can write, naming the link and where it points', async () => {
    const real = path.join(tempDir(), 'real');
    fs.mkdirSync(real);
    fs.chmodSync(real, 0o777);
    const link = path.join(tempDir(), 'mima');
    fs.symlinkSync(real, link);
    const logFile = path.join(link, 'guard_log.jsonl');
    const { guard } = await captureAllDiag(async () => {
      useGuard({ mode: 'warn', logFile });
      await unattestedCalls(2);
      await activeGuard()!.sinks.flush();
    });
    const refusals = guard.filter((m) => m.includes('refusing'));
    assert.equal(refusals.length, 1, JSON.stringify(guard));
    assert.ok(
      refusals[0].includes(`${link} (a symlink to ${real}) is writable by others (mode 0777)`),
      refusals[0],
    );
    assert.deepEqual(fs.readdirSync(real), [], 'nothing written there');
  });

  (IS_ROOT ? it : it.skip)(
    'refuses a log directory owned by another user, and a log file owned by another user (root only: chown)',
    async () => {
      const theirs = path.join(tempDir(), 'theirs');
      fs.mkdirSync(theirs, { mode: 0o700 });
      fs.chownSync(theirs, NOBODY, NOBODY);
      const mine = path.join(tempDir(), 'mine');
      fs.mkdirSync(mine, { mode: 0o700 });
      const planted = path.join(mine, 'guard_log.jsonl');
      fs.writeFileSync(planted, '', { mode: 0o600 });
      fs.chownSync(planted, NOBODY, NOBODY);
      for (const [logFile, reason] of [
        [path.join(theirs, 'guard_log.jsonl'), /owned by uid 65534/],
        [planted, /the file is owned by uid 65534/],
      ] as const) {
        const { guard } = await captureAllDiag(async () => {
          useGuard({ mode: 'warn', logFile });
          await unattestedCalls(2);
          await activeGuard()!.sinks.flush();
        });
        const refusals = guard.filter((m) => m.includes('refusing'));
        assert.equal(refusals.length, 1, JSON.stringify(guard));
        assert.match(refusals[0], reason);
        assert.equal(readLog(logFile).records.length, 0, 'nothing written there');
      }
    },
  );
});
