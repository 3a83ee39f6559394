import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from '../helpers/guard';
import { runChild, startChatServer } from '../helpers/child-app';
import { readLog, tempDir } from './helpers';

const APP = path.join(ROOT, 'build', 'test', 'fixtures', 'reliability', 'worker-app.js');

/** Runs worker-app.js (report mode); resolves with its output once the process ends. */
const run = (ending: string, env: Record<string, string>) =>
  runChild([APP, ending], { MIMA_GUARD_MODE: 'report', ...env });

describe('reliability: records made in a worker thread survive its end (child processes, real openai)', () => {
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

  const cases: Array<[string, string]> = [
    ['worker.terminate() during CPU-bound work right after its 10th call', 'terminate'],
    ['an uncaught error right after its 10th call', 'throw'],
    ['worker.terminate() while a call is in flight', 'in-flight'],
  ];
  for (const [what, ending] of cases) {
    it(`${what}: every finished call's record is on disk`, async function () {
      this.timeout(30_000);
      const dir = tempDir('mima-worker-');
      dirs.push(dir);
      const logFile = path.join(dir, 'guard_log.jsonl');
      const result = await run(ending, {
        MOCK_URL: mockUrl,
        MIMA_GUARD_LOG_FILE: logFile,
        MIMA_DAEMON_SOCKET: path.join(dir, 'd.sock'),
      });
      assert.equal(result.code, 0, result.stderr);
      const finished = [...result.stdout.matchAll(/finished (\d+) on disk (\d+)/g)].map(
        ([, call, onDisk]) => ({
          call: Number(call),
          onDisk: Number(onDisk),
        }),
      );
      assert.ok(finished.length >= 10, result.stdout + result.stderr);
      if (ending === 'throw') assert.match(result.stdout, /worker error: the worker crashed/);
      // Each call's record was in the file by the time the call returned to the app.
      for (const { call, onDisk } of finished)
        assert.ok(onDisk >= call, `call ${call} returned with ${onDisk} records on disk`);
      const { records, torn } = readLog(logFile);
      assert.equal(torn, 0);
      assert.equal(new Set(records.map((r) => r.id)).size, records.length, 'no duplicate');
      if (ending === 'in-flight') {
        // The call in flight at terminate() may have its record or not; every finished one has.
        assert.ok(
          records.length >= finished.length,
          `${records.length} records for ${finished.length} finished calls`,
        );
      } else {
        assert.equal(records.length, 10, `${records.length} of 10 records`);
      }
    });
  }
});
