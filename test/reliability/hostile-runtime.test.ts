import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Mode } from '../../src/app/types';
import { runChild } from '../helpers/child-app';
import { ROOT } from '../helpers/guard';
import { startMockOpenAI, type MockOpenAI } from '../helpers/runner-project';
import { readLog, tempDir } from './helpers';

const APP = path.join(ROOT, 'build', 'test', 'fixtures', 'reliability', 'hostile-app.js');
const CANARY = 'CANARY-PROMPT-7f3a';
const CALLS = 3;

interface Outcome {
  through: number;
  blocked: number;
  other: string[];
  spans: unknown[];
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  outcome: Outcome;
  /** Requests that reached the server during the run. */
  requests: number;
  records: ReturnType<typeof readLog>['records'];
  log: string;
}

describe('reliability: a hostile runtime (frozen or throwing Error hooks, user getters) in child processes, real openai', function () {
  this.timeout(60_000);
  this.slow(10_000);
  const dir = tempDir('mima-hostile-');
  let mock: MockOpenAI;

  before(async () => {
    mock = await startMockOpenAI();
  });

  after(async () => {
    await mock?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function runApp(hostility: string, mode: Mode, flags: string[] = [], sink = 'jsonl'): Promise<Run> {
    const logFile = path.join(dir, `${hostility}-${mode}-${sink}.jsonl`);
    const before = mock.requests;
    const { code, stdout, stderr } = await runChild(
      [...flags, APP, hostility, sink],
      {
        MOCK_URL: mock.url,
        MIMA_GUARD_MODE: mode,
        MIMA_GUARD_LOG_FILE: logFile,
        MIMA_DAEMON_SOCKET: path.join(dir, 'no-daemon.sock'),
      },
      false,
      { cwd: ROOT },
    );
    assert.equal(code, 0, `the app exits normally (stderr: ${stderr})`);
    const records = readLog(logFile).records;
    const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
    return {
      code,
      stdout,
      stderr,
      outcome: JSON.parse(stdout) as Outcome,
      requests: mock.requests - before,
      records,
      log,
    };
  }

  const hostile: Array<{ hostility: string; flags?: string[] }> = [
    { hostility: 'none', flags: ['--frozen-intrinsics'] },
    { hostility: 'freeze-error' },
    { hostility: 'freeze-prototype' },
    { hostility: 'fixed-limit' },
    { hostility: 'throwing-getter' },
    { hostility: 'throwing-formatter' },
    { hostility: 'frozen-capture' },
    { hostility: 'throwing-capture' },
  ];

  for (const { hostility, flags = [] } of hostile) {
    const title = flags.length ? flags.join(' ') : hostility;
    it(`${title}: every call is decided and recorded in block, warn and report mode`, async () => {
      for (const mode of ['block', 'warn', 'report'] as const) {
        const run = await runApp(hostility, mode, flags);
        const blocked = mode === 'block';
        assert.deepEqual(run.outcome.other, [], `${mode}: no error of the guard's reached the app`);
        assert.equal(run.outcome.blocked, blocked ? CALLS : 0, `${mode}: calls blocked`);
        assert.equal(run.outcome.through, blocked ? 0 : CALLS, `${mode}: calls that went through`);
        assert.equal(run.requests, blocked ? 0 : CALLS, `${mode}: requests that reached the server`);
        assert.equal(run.records.length, CALLS, `${mode}: records`);
        for (const record of run.records) {
          assert.equal(record.call_site, 'openai.OpenAI.chat');
          assert.equal(record.blocked, blocked);
          // Only the location may be missing; where it is found, it is the app's own line.
          if (record.code_file !== null) assert.match(record.code_file, /hostile-app\.js$/);
        }
      }
    });
  }

  it('a request getter that throws an Error holding the prompt: its text reaches no diag, stderr, record or span', async () => {
    for (const [mode, sink] of [
      ['block', 'jsonl'],
      ['warn', 'jsonl'],
      ['report', 'jsonl'],
      ['block', 'spans'],
      ['warn', 'spans'],
    ] as const) {
      const run = await runApp('model-getter', mode, [], sink);
      // The guard could not describe the call: reported as openai.unknown and let through.
      const records = sink === 'spans' ? run.outcome.spans.length : run.records.length;
      assert.equal(records, CALLS, `${mode}, ${sink}: every undescribed call is recorded`);
      assert.ok(
        run.stderr.includes('guard check failed for a openai call (Error)'),
        `${mode}: the fault is logged by kind (stderr: ${run.stderr})`,
      );
      for (const [where, text] of [
        ['stderr (diag and warnings)', run.stderr],
        ['JSONL', run.log],
        ['spans', JSON.stringify(run.outcome.spans)],
      ]) {
        assert.ok(!text.includes(CANARY), `${mode}: the canary is not in ${where}: ${text}`);
      }
    }
  });
});
