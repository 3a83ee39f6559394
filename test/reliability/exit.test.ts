import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { startDaemon, type DaemonHandle } from '../../src/command/daemon/server';
import { ROOT } from '../helpers/guard';
import { chatCompletion } from '../helpers/openai';
import { readLog, tempDir } from './helpers';

const APP = path.join(ROOT, 'build', 'test', 'fixtures', 'reliability', 'app.js');
/** The bound: an app with nothing left to do exits within this of its last call. */
const EXIT_WITHIN_MS = 3_000;

interface Run {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** From the `called` line to the exit event. */
  exitAfterMs: number;
}

/** Runs the fixture app; `onCalled` runs when it prints its `called` line (to send it a signal). */
function runApp(ending: string, env: Record<string, string>, onCalled?: (pid: number) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [APP, ending], {
      env: { ...process.env, MIMA_GUARD_MODE: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let calledAt: number | undefined;
    // A deadline far past the bound, so a hung child fails the test instead of hanging it.
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (calledAt === undefined && stdout.includes('called ')) {
        calledAt = Date.now();
        onCalled?.(child.pid!);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(killer);
      resolve({
        code,
        signal,
        stdout,
        stderr,
        exitAfterMs: calledAt === undefined ? Infinity : Date.now() - calledAt,
      });
    });
  });
}

describe('reliability: exit and crash right after an unattested call (child processes, real openai)', () => {
  let server: http.Server;
  let mockUrl: string;
  let requests = 0;

  before(async () => {
    const body = JSON.stringify(chatCompletion());
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        requests++;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    mockUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  function paths() {
    const dir = tempDir('mima-exit-');
    return { dir, logFile: path.join(dir, 'guard_log.jsonl'), socket: path.join(dir, 'd.sock') };
  }

  it(`an app with nothing left to do exits on its own within ${EXIT_WITHIN_MS / 1000} s, and its record is written`, async function () {
    this.timeout(30_000);
    const { logFile, socket } = paths();
    const run = await runApp('idle', {
      MOCK_URL: mockUrl,
      MIMA_GUARD_LOG_FILE: logFile,
      MIMA_DAEMON_SOCKET: socket,
    });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /called hello/);
    assert.ok(run.exitAfterMs < EXIT_WITHIN_MS, `exited ${run.exitAfterMs} ms after its call`);
    const { records } = readLog(logFile);
    assert.equal(new Set(records.map((r) => r.id)).size, 1, 'one record (a duplicate line at most)');
    assert.equal(records[0].call_site, 'openai.OpenAI.chat');
  });

  it(`connected to a live daemon, it still exits on its own within ${EXIT_WITHIN_MS / 1000} s; the record is in the daemon log or the fallback`, async function () {
    this.timeout(30_000);
    const { dir, logFile, socket } = paths();
    const daemonLog = path.join(dir, 'daemon_log.jsonl');
    let daemon: DaemonHandle | undefined = await startDaemon({ socketPath: socket, logFile: daemonLog });
    try {
      const run = await runApp('idle', {
        MOCK_URL: mockUrl,
        MIMA_GUARD_LOG_FILE: logFile,
        MIMA_DAEMON_SOCKET: socket,
        WAIT_DAEMON: '1',
      });
      assert.equal(run.code, 0, run.stderr);
      assert.ok(run.exitAfterMs < EXIT_WITHIN_MS, `exited ${run.exitAfterMs} ms after its call`);
      await daemon.close();
      daemon = undefined;
      const ids = new Set([...readLog(daemonLog).records, ...readLog(logFile).records].map((r) => r.id));
      assert.equal(ids.size, 1, 'the one record, in either file');
    } finally {
      await daemon?.close();
    }
  });

  const crashes: Array<[string, string, (run: Run) => void]> = [
    ['process.exit(1)', 'exit1', (run) => assert.equal(run.code, 1)],
    [
      'an uncaught exception',
      'throw',
      (run) => {
        assert.equal(run.code, 1);
        assert.match(run.stderr, /the app crashed/);
      },
    ],
    ['SIGTERM', 'wait', (run) => assert.equal(run.signal, 'SIGTERM', 'it still dies by the signal')],
  ];
  for (const [what, ending, check] of crashes) {
    it(`${what} right after the call: the record is on disk afterwards`, async function () {
      this.timeout(30_000);
      const { logFile, socket } = paths();
      const before = requests;
      const run = await runApp(
        ending,
        { MOCK_URL: mockUrl, MIMA_GUARD_LOG_FILE: logFile, MIMA_DAEMON_SOCKET: socket },
        ending === 'wait' ? (pid) => process.kill(pid, 'SIGTERM') : undefined,
      );
      check(run);
      assert.match(run.stdout, /called hello/);
      assert.equal(requests - before, 1, 'the call really went out');
      const { records, torn } = readLog(logFile);
      assert.equal(torn, 0);
      // A batch whose async write was in flight at exit is written again by the exit hook (it
      // cannot tell whether that write landed): at worst a duplicate line, one id.
      assert.equal(
        new Set(records.map((r) => r.id)).size,
        1,
        `records: ${JSON.stringify(records)}; stderr: ${run.stderr}`,
      );
      assert.ok(records.length <= 2);
      assert.equal(records[0].call_site, 'openai.OpenAI.chat');
    });
  }
});
