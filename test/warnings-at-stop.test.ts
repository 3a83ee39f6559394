import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from './helpers/guard';
import { readLogRecords } from './helpers/log-lines';
import { childEnv, runNode } from './helpers/node-child';
import { guardInstalledWithMockOpenAI } from './helpers/runner-project';

/**
 * A guard problem found in the flush a terminating signal starts (a log path refused for the
 * records still queued) was handed to process.emitWarning, whose tick never came: the guard
 * re-raises the signal right after its flush. Vitest stops every fork of its default pool with
 * SIGTERM, so there the warning went missing whenever the last record had not been written yet.
 */
const GUARD = path.join(ROOT, 'build', 'src', 'index.js');
const PROJECTS = path.join(ROOT, 'test', 'fixtures', 'runners');
const VITEST = path.join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
const REFUSED = /\[MIMA_GUARD_LOG_PATH_REFUSED\] MimaGuardWarning/g;

/** HOME (for the default log the records fall back to) and a log path the guard refuses: a symlink. */
function refusedLogSetup(): { home: string; logFile: string; fallback: string } {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-stop-'));
  const logFile = path.join(home, 'guard_log.jsonl');
  fs.symlinkSync(path.join(home, 'elsewhere.jsonl'), logFile);
  return { home, logFile, fallback: path.join(home, '.mima', 'guard_log.jsonl') };
}

const records = (file: string) => readLogRecords(file, { missing: 'empty' });

function stopEnv(home: string, logFile: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return childEnv({
    HOME: home,
    MIMA_GUARD_LOG_FILE: logFile,
    MIMA_DAEMON_SOCKET: path.join(home, 'no-daemon.sock'),
    OPENAI_API_KEY: 'test',
    NO_COLOR: '1',
    CI: 'true',
    ...extra,
  });
}

/** An app whose unattested call's record is still queued when it sends itself SIGTERM. */
const SELF_SIGTERM_APP = `
  require(${JSON.stringify(GUARD)}).enableGuard('report');
  const OpenAI = require('openai');
  const body = require('node:fs').readFileSync(${JSON.stringify(path.join(ROOT, 'test', 'fixtures', 'chat-completion.json'))});
  const fetch = async () => new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
  const client = new OpenAI({ apiKey: 'test', maxRetries: 0, fetch });
  client.chat.completions
    .create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] })
    .then(() => process.kill(process.pid, 'SIGTERM'));
`;

describe('a guard problem found as the process is stopped by a signal is said on stderr', function () {
  this.timeout(60_000);
  this.slow(10_000);

  it('an app that ends itself with SIGTERM: the refused log path is said once, the record kept, the ending unchanged', () => {
    const { home, logFile, fallback } = refusedLogSetup();
    try {
      const result = spawnSync(process.execPath, ['-e', SELF_SIGTERM_APP], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 30_000,
        env: stopEnv(home, logFile),
      });
      assert.equal(result.signal, 'SIGTERM', result.stderr);
      assert.equal(result.stderr.match(REFUSED)?.length, 1, result.stderr);
      assert.equal(records(fallback).length, 1, result.stderr);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  it('--no-warnings still silences it (the record is kept all the same)', () => {
    const { home, logFile, fallback } = refusedLogSetup();
    try {
      const result = spawnSync(process.execPath, ['--no-warnings', '-e', SELF_SIGTERM_APP], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 30_000,
        env: stopEnv(home, logFile),
      });
      assert.equal(result.signal, 'SIGTERM', result.stderr);
      assert.doesNotMatch(result.stderr, /MimaGuardWarning/);
      assert.equal(records(fallback).length, 1, result.stderr);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  describe('Vitest, default pool (forks, stopped with SIGTERM)', () => {
    const mock = guardInstalledWithMockOpenAI(PROJECTS);

    it('the refused log path of a test file whose last act is an unattested call is on stderr, once', async () => {
      // Three runs: whether the fork's last batch was written before the SIGTERM came is a race.
      for (let run = 0; run < 3; run++) {
        const { home, logFile, fallback } = refusedLogSetup();
        try {
          const { status, output } = await runNode([VITEST, 'run'], {
            cwd: path.join(PROJECTS, 'vitest-stop'),
            env: stopEnv(home, logFile, { MIMA_GUARD_MODE: 'report', OPENAI_BASE_URL: mock.url }),
          });
          assert.equal(status, 0, output);
          assert.equal(output.match(REFUSED)?.length, 1, `run ${run + 1}:\n${output}`);
          assert.equal(records(fallback).length, 1, output);
        } finally {
          fs.rmSync(home, { recursive: true, force: true });
        }
      }
    });
  });
});
