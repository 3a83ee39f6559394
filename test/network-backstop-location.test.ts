import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from './helpers/guard';

/**
 * The network backstop's records (detect() with no `below`) capture under a default function,
 * which must be on the stack: V8's Error.captureStackTrace(holder, fn) keeps no frames when fn is
 * not found, and with fc10ec3's deferred read every backstop record had code_file/code_line null.
 */
const APP = `
const http = require('node:http');
const server = http.createServer((q, s) => { q.resume(); s.end('{}'); }).listen(0, '127.0.0.1', async () => {
  const url = 'http://127.0.0.1:' + server.address().port + '/v1/chat/completions';
  await fetch(url, { method: 'POST', body: '{}' }); // line 4
  server.close();
});
`;

describe("the network backstop's record names the line of the request", function () {
  it('a fetch() to a listed AI host outside any SDK call has code_file/code_line', function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-net-'));
    try {
      fs.writeFileSync(path.join(dir, 'app.cjs'), APP.replace(/^\n/, ''));
      const logFile = path.join(dir, 'records.jsonl');
      const env: NodeJS.ProcessEnv = { ...process.env };
      for (const name of Object.keys(env)) if (name.startsWith('MIMA_')) delete env[name];
      execFileSync(
        process.execPath,
        ['--require', path.join(ROOT, 'build', 'src', 'register.js'), 'app.cjs'],
        {
          cwd: dir,
          stdio: 'pipe',
          env: {
            ...env,
            MIMA_GUARD_MODE: 'report',
            MIMA_GUARD_LOG_FILE: logFile,
            MIMA_GUARD_NETWORK_HOSTS: '127.0.0.1',
          },
        },
      );
      const records = fs
        .readFileSync(logFile, 'utf8')
        .trim()
        .split('\n')
        .map(
          (text) =>
            JSON.parse(text) as { call_site: string; code_file: string | null; code_line: number | null },
        )
        .map((r) => `${r.call_site} ${r.code_file}:${r.code_line}`);
      assert.deepEqual(records, ['net.127.0.0.1 app.cjs:4']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
