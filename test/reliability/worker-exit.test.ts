import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { ROOT } from '../helpers/guard';
import { chatCompletion } from '../helpers/openai';
import { readLog, tempDir } from './helpers';

const APP = path.join(ROOT, 'build', 'test', 'fixtures', 'reliability', 'worker-app.js');

/** Runs worker-app.js; resolves with its output once the process ends. */
function run(
  ending: string,
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [APP, ending], {
      env: { ...process.env, MIMA_GUARD_MODE: 'report', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const deadline = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(deadline);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('reliability: records made in a worker thread survive its end (child processes, real openai)', () => {
  let server: http.Server;
  let mockUrl: string;
  const dirs: string[] = [];

  before(async () => {
    const body = JSON.stringify(chatCompletion());
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
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
