import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { activeGuard } from '../../src/app/guard';
import { guardProblems } from '../../src/app/warnings';
import { ROOT, clearRecords, useGuard } from '../helpers/guard';
import { loadOpenAI, makeClient } from '../helpers/openai';
import { isolateSdkTests } from '../helpers/sdk-suite';
import { captureAllDiag, openaiTarget, readLog, tempDir, until, type Target } from './helpers';
import { SecondUser } from './second-user';

const CLI = path.join(ROOT, 'build', 'src', 'command', 'cli.js');
const mode = (file: string) => fs.statSync(file).mode & 0o7777;
const UNAVAILABLE = SecondUser.unavailable();
const scratchDirs: string[] = [];
/** A private temp directory (0700, ours), removed after the suite. */
const scratch = () => {
  const dir = tempDir();
  scratchDirs.push(dir);
  return dir;
};

// SECURITY.md, "Paths another user could steer": each rule against a real second local account.
(UNAVAILABLE ? describe.skip : describe)(
  `reliability: another local user cannot read or steer the records${UNAVAILABLE ? ` (skipped: ${UNAVAILABLE})` : ''}`,
  () => {
    const other = new SecondUser();
    let target: Target;

    before(() => {
      other.create();
      target = openaiTarget(makeClient(loadOpenAI(6)));
    });

    after(() => {
      other.remove();
      for (const dir of scratchDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
    });

    isolateSdkTests();

    afterEach(async () => {
      useGuard({ mode: 'warn' });
      await clearRecords();
    });

    async function unattestedCalls(count: number): Promise<void> {
      target.mock(count);
      for (let i = 0; i < count; i++) assert.equal(await target.call(), 'hello');
      await activeGuard()!.sinks.flush();
    }

    it("never sends records to another user's socket in a shared directory: they go to the JSONL file, with MIMA_GUARD_UNTRUSTED_SOCKET", async () => {
      const socketPath = path.join(other.sharedDir(), 'daemon.sock');
      const listener = await other.listen(socketPath);
      const logFile = path.join(scratch(), 'guard_log.jsonl');
      const { guard } = await captureAllDiag(async () => {
        useGuard({ mode: 'warn', socketPath, logFile });
        await until(
          () =>
            activeGuard()!.reporting.daemon.connected ||
            guardProblems().some((p) => p.code === 'MIMA_GUARD_UNTRUSTED_SOCKET'),
          'the guard looked at the socket',
        );
        await unattestedCalls(3);
      });
      assert.equal(listener.received(), 0, "the other user's socket received no record");
      assert.equal(readLog(logFile).records.length, 3, 'the records are in the JSONL file');
      const warning = guard.find((m) => m.includes('not connecting'));
      assert.ok(warning, JSON.stringify(guard));
      assert.ok(warning.includes(`${socketPath} is owned by uid ${other.uid} (${other.name})`), warning);
    });

    it("the daemon exits 2 naming the owner when another user's live socket holds its path, not 'already running'", () => {
      const socketPath = path.join(other.sharedDir(), 'daemon.sock');
      return other.listen(socketPath).then(() => {
        const daemon = runDaemon(socketPath);
        assert.equal(daemon.status, 2, daemon.stderr);
        assert.match(
          daemon.stderr,
          new RegExp(`belongs to uid ${other.uid} \\(${other.name}\\), another user`),
        );
        assert.doesNotMatch(daemon.stderr, /already/);
      });
    });

    it('the daemon exits 2 rather than serve from a directory others can write', () => {
      const socketPath = path.join(other.sharedDir(), 'daemon.sock');
      const daemon = runDaemon(socketPath);
      assert.equal(daemon.status, 2, daemon.stderr);
      assert.match(daemon.stderr, /writable by others \(mode 1777\)/);
      assert.ok(!fs.existsSync(socketPath), 'no socket was created');
    });

    it("refuses a log directory that is another user's symlink to a directory of ours: nothing written there, MIMA_GUARD_LOG_PATH_REFUSED", async () => {
      const ours = scratch(); // 0700, ours: what the link points the guard's writes into
      const shared = other.sharedDir();
      const link = path.join(shared, 'logs');
      other.run(`require('node:fs').symlinkSync(${JSON.stringify(ours)}, ${JSON.stringify(link)})`);
      assert.equal(fs.lstatSync(link).uid, other.uid);
      const logFile = path.join(link, 'guard_log.jsonl');
      const { guard } = await captureAllDiag(async () => {
        useGuard({ mode: 'warn', logFile });
        await unattestedCalls(2);
      });
      assert.deepEqual(fs.readdirSync(ours), [], 'nothing written through the link');
      const refusal = guard.find((m) => m.includes('refusing'));
      assert.ok(refusal, JSON.stringify(guard));
      assert.ok(refusal.includes(`${link} is a symlink owned by uid ${other.uid} (${other.name})`), refusal);
    });

    it('tightens an existing ~/.mima 0755 and its 0644 log to 0700 and 0600, with MIMA_GUARD_LOOSE_MODES: the other user can no longer read the records', async () => {
      const home = scratch();
      fs.chmodSync(home, 0o755); // a usual home directory
      const mima = path.join(home, '.mima');
      fs.mkdirSync(mima, { mode: 0o755 });
      fs.chmodSync(mima, 0o755);
      const logFile = path.join(mima, 'guard_log.jsonl');
      fs.writeFileSync(logFile, '', { mode: 0o644 });
      fs.chmodSync(logFile, 0o644);
      assert.ok(other.canRead(logFile), 'the setup: the other user can read the log');
      const previousHome = process.env.HOME;
      process.env.HOME = home;
      try {
        const { guard } = await captureAllDiag(async () => {
          useGuard({ mode: 'warn', logFile });
          await unattestedCalls(2);
        });
        assert.equal(readLog(logFile).records.length, 2);
        assert.equal(mode(mima), 0o700);
        assert.equal(mode(logFile), 0o600);
        assert.ok(!other.canRead(logFile), 'the other user cannot read the log');
        const told = guard.filter((m) => m.includes('other users could read'));
        assert.ok(
          told.some((m) => m.includes(`${mima} had mode 0755`)),
          JSON.stringify(guard),
        );
        assert.ok(
          told.some((m) => m.includes(`${logFile} had mode 0644`)),
          JSON.stringify(guard),
        );
      } finally {
        process.env.HOME = previousHome;
      }
    });
  },
);

function runDaemon(socketPath: string) {
  const logFile = path.join(scratch(), 'daemon_log.jsonl');
  // Before the fix the daemon started (or waited): the timeout ends it, and the status is null.
  return spawnSync(process.execPath, [CLI, 'daemon', '--socket', socketPath, '--log-file', logFile], {
    encoding: 'utf8',
    timeout: 10_000,
  });
}
