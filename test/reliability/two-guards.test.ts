import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../helpers/guard';
import { chatCompletion } from '../helpers/openai';
import { readLog, tempDir } from './helpers';

const run = promisify(execFile);
const FIXTURE = path.join(ROOT, 'build', 'test', 'fixtures', 'reliability', 'two-guards.js');

/**
 * A second copy of the guard package, as npm nests another version under a dependency:
 * <tmp>/app/node_modules/@mima-governance/instrumentation-guard holds package.json and build/src,
 * and <tmp>/node_modules links to the repo's, where its own dependencies resolve.
 */
function copyOfTheGuard(): string {
  const root = tempDir('mima-copy-');
  const pkg = path.join(root, 'app', 'node_modules', '@mima-governance', 'instrumentation-guard');
  fs.mkdirSync(pkg, { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(pkg, 'package.json'));
  fs.cpSync(path.join(ROOT, 'build', 'src'), path.join(pkg, 'build', 'src'), { recursive: true });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(root, 'node_modules'));
  return path.join(pkg, 'build', 'src', 'index.js');
}

describe('reliability: two copies of the guard package in one process', () => {
  let server: http.Server;
  let mockUrl: string;

  before(async () => {
    const body = JSON.stringify(chatCompletion());
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    mockUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("one record per unattested call, none for either copy's attest(), withAttested() or wrap(), one wrapper, through disable/enable of each copy; the network backstop reports a raw fetch once", async function () {
    this.timeout(30_000);
    const dir = tempDir('mima-2g-');
    const logA = path.join(dir, 'a.jsonl');
    const logB = path.join(dir, 'b.jsonl');
    const { stdout } = await run(
      process.execPath,
      [FIXTURE, copyOfTheGuard(), logA, logB, mockUrl, path.join(dir, 'none.sock')],
      { cwd: ROOT, timeout: 20_000 },
    );
    const { unattested, wrappedOnce } = JSON.parse(stdout) as { unattested: number; wrappedOnce: boolean };
    assert.equal(unattested, 14);
    const records = [...readLog(logA).records, ...readLog(logB).records];
    assert.equal(new Set(records.map((r) => r.id)).size, records.length, 'no record written twice');
    assert.equal(records.length, unattested, `one record per unattested call: ${JSON.stringify(records)}`);
    assert.ok(wrappedOnce, 'the method is wrapped once, by one copy');
    // Whichever copy's wrapper and runtime ran, the caller is the app, never the other copy's file.
    const places = new Set(records.map((r) => r.code_file));
    assert.deepEqual([...places], [path.relative(ROOT, FIXTURE)]);
  });
});
