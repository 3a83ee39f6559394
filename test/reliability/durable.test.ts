import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JsonlFileSink } from '../../src/app/sinks/jsonl-sink';
import type { DetectionRecord } from '../../src/app/types';
import { closedPortUrl, guardWarnings, runChild, startChatServer } from '../helpers/child-app';
import { ROOT } from '../helpers/guard';
import { rotatedLogLines } from '../helpers/log-lines';
import { readLog, tempDir } from './helpers';

const NODE_SDK_APP = path.join(ROOT, 'build', 'test', 'fixtures', 'durable', 'node-sdk-app.js');
const APP = path.join(ROOT, 'build', 'test', 'fixtures', 'reliability', 'app.js');

function record(n: number): DetectionRecord {
  return {
    ts: new Date().toISOString(),
    call_site: `openai.chat.${n}`,
    attested: false,
    mode: 'report',
    blocked: false,
    code_file: null,
    code_line: null,
    workspace_id: null,
    pid: process.pid,
    id: `id-${n}`,
  };
}

describe('durable by default: every unattested call ends in a local durable copy', () => {
  let server: Awaited<ReturnType<typeof startChatServer>>;
  let home: string;
  let logFile: string;
  let collector: string;

  before(async () => {
    server = await startChatServer();
    collector = await closedPortUrl();
  });
  after(() => server.close());

  beforeEach(() => {
    // HOME is the default log's home: nothing reaches the user's own ~/.mima.
    home = tempDir('mima-dur-');
    logFile = path.join(home, 'guard_log.jsonl');
  });
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  function env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      HOME: home,
      MIMA_GUARD_LOG_FILE: logFile,
      MIMA_DAEMON_SOCKET: path.join(home, 'no-daemon.sock'),
      MOCK_URL: server.url,
      OTLP_URL: collector,
      ...extra,
    };
  }

  describe('NodeSDK as the README sets it up (BatchSpanProcessor + OTLP), warn mode, collector down', () => {
    it('a short script: 1 call, 1 record in the JSONL file (the span alone was lost)', async () => {
      const run = await runChild([NODE_SDK_APP, 'idle'], env({ CALLS: '1' }));
      assert.equal(run.code, 0, run.stderr);
      assert.equal(readLog(logFile).records.length, 1);
    });

    it('a server stopped by SIGTERM: 1 call, 1 record', async () => {
      const run = await runChild([NODE_SDK_APP, 'wait'], env({ CALLS: '1' }), true);
      assert.equal(run.signal, 'SIGTERM', 'the process still dies by the signal');
      // One call, one id: the signal's flush may write a line a second time when it takes over a
      // batch whose write had not reported back (never a loss); the report counts each id once.
      assert.equal(new Set(readLog(logFile).records.map((r) => r.id)).size, 1);
    });

    it('20 calls, 20 records with 20 distinct ids', async () => {
      const run = await runChild([NODE_SDK_APP, 'idle'], env({ CALLS: '20' }));
      assert.equal(run.code, 0, run.stderr);
      const { records } = readLog(logFile);
      assert.equal(new Set(records.map((r) => r.id)).size, 20);
    });

    it('MIMA_GUARD_DURABLE=0 is the explicit opt-out: the span alone, lost with the collector', async () => {
      const run = await runChild([NODE_SDK_APP, 'idle'], env({ CALLS: '1', MIMA_GUARD_DURABLE: '0' }));
      assert.equal(run.code, 0, run.stderr);
      assert.equal(readLog(logFile).records.length, 0);
    });
  });

  describe('a log path the guard refuses (a directory others can write), report mode', () => {
    it('says so on stderr, naming the path and the rule, and the records go to the default log', async () => {
      const shared = tempDir('mima-shared-');
      fs.chmodSync(shared, 0o777);
      const refused = path.join(shared, 'x.jsonl');
      try {
        const run = await runChild(
          [APP, 'idle'],
          env({ MIMA_GUARD_MODE: 'report', MIMA_GUARD_LOG_FILE: refused }),
        );
        assert.equal(run.code, 0, run.stderr);
        const [warning, ...more] = guardWarnings(run.stderr, 'MIMA_GUARD_LOG_PATH_REFUSED');
        assert.equal(more.length, 0, 'once per kind');
        assert.ok(warning?.includes(refused), run.stderr);
        assert.match(warning, /writable by others.*must be in a directory owned by you/);
        assert.equal(fs.existsSync(refused), false);
        assert.equal(readLog(path.join(home, '.mima', 'guard_log.jsonl')).records.length, 1);
      } finally {
        fs.rmSync(shared, { recursive: true, force: true });
      }
    });

    it('with the default log refused too, the loss is said on stderr', async () => {
      const shared = tempDir('mima-shared-');
      fs.chmodSync(shared, 0o777);
      fs.mkdirSync(path.join(home, '.mima'), { mode: 0o777 });
      fs.chmodSync(path.join(home, '.mima'), 0o777);
      try {
        const run = await runChild(
          [APP, 'idle'],
          env({ MIMA_GUARD_MODE: 'report', MIMA_GUARD_LOG_FILE: path.join(shared, 'x.jsonl') }),
        );
        assert.equal(run.code, 0, run.stderr);
        assert.equal(guardWarnings(run.stderr, 'MIMA_GUARD_LOG_PATH_REFUSED').length, 1, run.stderr);
        const [lost] = guardWarnings(run.stderr, 'MIMA_GUARD_RECORDS_DROPPED');
        assert.match(lost ?? '', /1 unattested-call records were lost at exit/, run.stderr);
      } finally {
        fs.rmSync(shared, { recursive: true, force: true });
      }
    });

    it('the loss is said on stderr on SIGTERM too, before the process dies by the signal', async () => {
      const shared = tempDir('mima-shared-');
      fs.chmodSync(shared, 0o777);
      fs.mkdirSync(path.join(home, '.mima'));
      fs.chmodSync(path.join(home, '.mima'), 0o777);
      try {
        const run = await runChild(
          [APP, 'wait'],
          env({ MIMA_GUARD_MODE: 'report', MIMA_GUARD_LOG_FILE: path.join(shared, 'x.jsonl') }),
          true,
        );
        assert.equal(run.signal, 'SIGTERM');
        assert.equal(guardWarnings(run.stderr, 'MIMA_GUARD_RECORDS_DROPPED').length, 1, run.stderr);
      } finally {
        fs.rmSync(shared, { recursive: true, force: true });
      }
    });

    it('an unwritable log path is said on stderr, and what it holds at exit goes to the default log', async () => {
      const notADirectory = path.join(home, 'file');
      fs.writeFileSync(notADirectory, '');
      const run = await runChild(
        [APP, 'idle'],
        env({ MIMA_GUARD_MODE: 'report', MIMA_GUARD_LOG_FILE: path.join(notADirectory, 'x.jsonl') }),
      );
      assert.equal(run.code, 0, run.stderr);
      assert.equal(guardWarnings(run.stderr, 'MIMA_GUARD_LOG_UNWRITABLE').length, 1, run.stderr);
      assert.equal(readLog(path.join(home, '.mima', 'guard_log.jsonl')).records.length, 1);
    });
  });

  it('records given up while the path was refused are counted in a dropped marker with its reason', async () => {
    const shared = tempDir('mima-shared-');
    fs.chmodSync(shared, 0o777);
    const file = path.join(shared, 'x.jsonl');
    const sink = new JsonlFileSink(file, { maxQueued: 2 });
    try {
      sink.write(record(1));
      assert.equal(await sink.flush(), false, 'refused');
      for (let n = 2; n <= 4; n++) sink.write(record(n));
      fs.chmodSync(shared, 0o700);
      assert.equal(await sink.flush(), true);
      const lines = rotatedLogLines(file).map((line) => JSON.parse(line) as Record<string, unknown>);
      assert.equal(lines.filter((line) => line.type === undefined).length, 2);
      const marker = lines.find((line) => line.type === 'dropped');
      assert.equal(marker?.count, 2);
      assert.equal(marker?.reason, 'log-path-refused');
    } finally {
      await sink.close();
      fs.rmSync(shared, { recursive: true, force: true });
    }
  });
});
