import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCjsApp } from './helpers/cjs-app';
import { ROOT } from './helpers/guard';
import { readLogRecords } from './helpers/log-lines';

/**
 * A stack read later cannot be taken again: when unattested calls read their stack off the call
 * path with the frame count a direct call taught, a later call that reaches the SDK through a
 * library in node_modules more than a few frames deep was cut before the app's frame, and its
 * record had code_file/code_line null (fc10ec3, reverted). The call path's own read takes a
 * longer stack when the short one holds no caller.
 */
const LIB = `
function nest(n, fn) { return n === 0 ? fn() : nest(n - 1, fn); }
exports.run = (client, req) => nest(4, () => client.chat.completions.create(req));
`;
const APP = `
const R = (m) => require(require.resolve(m, { paths: [${JSON.stringify(ROOT)}] }));
const OpenAI = R('openai');
const nock = R('nock');
const lib = require('deeplib');
nock('http://oai.test').persist().post('/v1/chat/completions').reply(200, { id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }] });
const client = new OpenAI({ apiKey: 'k', baseURL: 'http://oai.test/v1', maxRetries: 0 });
const req = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
(async () => {
  await client.chat.completions.create(req); // line 9
  await lib.run(client, req); // line 10
  await client.chat.completions.create(req); // line 11
  await lib.run(client, req); // line 12
})();
`;

describe('a call through a library, after a direct call, keeps its code location', function () {
  it('names the app line of a call routed through a library after a direct call', function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-depth-'));
    try {
      fs.mkdirSync(path.join(dir, 'node_modules', 'deeplib'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'node_modules', 'deeplib', 'index.js'), LIB);
      const logFile = path.join(dir, 'records.jsonl');
      runCjsApp(dir, APP, { ...process.env, MIMA_GUARD_MODE: 'report', MIMA_GUARD_LOG_FILE: logFile });
      const lines = readLogRecords(logFile).map((record) => record.code_line);
      assert.deepEqual(lines, [9, 10, 11, 12]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
