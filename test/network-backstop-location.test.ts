import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCjsApp } from './helpers/cjs-app';
import { readLogRecords } from './helpers/log-lines';
import { childEnv } from './helpers/node-child';
import { tempDir as makeTempDir } from './helpers/temp-dir';

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
    const dir = makeTempDir('mima-net-');
    try {
      const logFile = path.join(dir, 'records.jsonl');
      // NODE_V8_COVERAGE kept: the child runs build/src, whose coverage counts.
      const env = childEnv(
        { MIMA_GUARD_MODE: 'report', MIMA_GUARD_LOG_FILE: logFile, MIMA_GUARD_NETWORK_HOSTS: '127.0.0.1' },
        { keepCoverage: true },
      );
      runCjsApp(dir, APP, env, { quiet: true });
      const records = readLogRecords(logFile).map((r) => `${r.call_site} ${r.code_file}:${r.code_line}`);
      assert.deepEqual(records, ['net.127.0.0.1 app.cjs:4']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
