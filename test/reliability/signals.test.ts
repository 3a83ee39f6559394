import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from '../helpers/guard';
import { startChatServer } from '../helpers/child-app';
import { readLog, tempDir } from './helpers';

const APP = path.join(ROOT, 'build', 'test', 'fixtures', 'reliability', 'signal-app.js');
/** Past this after the last signal, a child is called still running and killed. */
const HUNG_AFTER_MS = 2_000;

interface Ending {
  code: number | null;
  signal: string | null;
  /** The app's own output, in order. */
  lines: string[];
}

interface Case {
  what: string;
  steps: string;
  /** Sent once the app is ready; `then` once the output holds `after`. */
  signal: NodeJS.Signals;
  then?: { after: string; signal: NodeJS.Signals };
}

/** Runs signal-app.js with the guard on or off, sends the case's signals, reports how it ended. */
function run(test: Case, guard: boolean, env: Record<string, string>): Promise<Ending> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [APP, test.steps], {
      env: { ...process.env, GUARD: guard ? '1' : '0', MIMA_GUARD_MODE: 'report', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let killer: NodeJS.Timeout | undefined;
    const hangCheck = () => {
      clearTimeout(killer);
      killer = setTimeout(() => child.kill('SIGKILL'), HUNG_AFTER_MS);
    };
    const deadline = setTimeout(() => child.kill('SIGKILL'), 20_000);
    let sent = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (sent === 0 && stdout.includes('ready\n')) {
        sent++;
        child.kill(test.signal);
        hangCheck();
      }
      if (sent === 1 && test.then && stdout.includes(test.then.after)) {
        sent++;
        const { signal } = test.then;
        setTimeout(() => {
          child.kill(signal);
          hangCheck();
        }, 100);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(killer);
      clearTimeout(deadline);
      if (stderr.trim()) process.stderr.write(`signal-app stderr: ${stderr}\n`);
      resolve({ code, signal, lines: stdout.split('\n').filter(Boolean) });
    });
  });
}

const CASES: Case[] = [
  { what: 'no listener of its own', steps: 'guard,call', signal: 'SIGTERM' },
  { what: 'no listener of its own, SIGINT', steps: 'guard,call', signal: 'SIGINT' },
  { what: 'signal-exit v4, loaded after the guard', steps: 'guard,call,signal-exit', signal: 'SIGTERM' },
  {
    what: 'signal-exit v4, loaded after the guard, SIGINT',
    steps: 'guard,call,signal-exit',
    signal: 'SIGINT',
  },
  { what: 'signal-exit v4, loaded before the guard', steps: 'signal-exit,guard,call', signal: 'SIGTERM' },
  {
    what: 'a once handler (cleanup, then exit 0) added before the guard',
    steps: 'once-cleanup,guard,call',
    signal: 'SIGTERM',
  },
  { what: 'a once handler added after the guard', steps: 'guard,call,once-cleanup', signal: 'SIGTERM' },
  {
    what: 'a once handler and signal-exit v4',
    steps: 'once-cleanup,guard,call,signal-exit',
    signal: 'SIGINT',
  },
  {
    what: 'a listener that handles one SIGTERM and removes itself; the second one meets the default',
    steps: 'on-once,guard,call',
    signal: 'SIGTERM',
    then: { after: 'got SIGTERM', signal: 'SIGTERM' },
  },
];

describe('reliability: the guard never changes how a process ends on SIGINT/SIGTERM (child processes)', () => {
  let server: Awaited<ReturnType<typeof startChatServer>>;
  let mockUrl: string;
  const dirs: string[] = [];

  before(async () => {
    server = await startChatServer();
    mockUrl = server.url;
  });

  after(async () => {
    await server.close();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const test of CASES) {
    it(`${test.what}: the same ending with and without the guard, and the record is on disk`, async function () {
      this.timeout(30_000);
      const dir = tempDir('mima-signal-');
      dirs.push(dir);
      const logFile = path.join(dir, 'guard_log.jsonl');
      const env = {
        MOCK_URL: mockUrl,
        MIMA_GUARD_LOG_FILE: logFile,
        MIMA_DAEMON_SOCKET: path.join(dir, 'd.sock'),
      };
      const without = await run(test, false, env);
      const withGuard = await run(test, true, env);
      assert.notEqual(without.signal, 'SIGKILL', `the app itself hung: ${JSON.stringify(without)}`);
      assert.deepEqual(withGuard, without);
      const { records } = readLog(logFile);
      assert.equal(new Set(records.map((r) => r.id)).size, 1, `records: ${JSON.stringify(records)}`);
      assert.equal(records[0].call_site, 'openai.OpenAI.chat');
    });
  }
});
