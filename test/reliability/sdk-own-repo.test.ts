import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../helpers/guard';
import { startMockOpenAI, type MockOpenAI } from '../helpers/runner-project';
import { readLog, tempDir } from './helpers';

const run = promisify(execFile);

/**
 * An SDK that is not under node_modules (its own repository, running its own tests), handed to
 * the guard with enableGuard({ modules }): its frames are the SDK's, not the caller's. Before,
 * every record named the SDK's client.js as the caller.
 */
describe('reliability: the caller of an SDK run from outside node_modules (child processes, real openai)', function () {
  this.timeout(60_000);
  this.slow(5_000);
  const dir = tempDir('mima-sdk-repo-');
  const repo = path.join(dir, 'openai');
  let mock: MockOpenAI;

  const callerScript = (requireSdk: string) =>
    [
      `const { enableGuard } = require(${JSON.stringify(path.join(ROOT, 'build', 'src'))});`,
      `const openai = require(${JSON.stringify(requireSdk)});`,
      'enableGuard({ modules: { openai } });',
      'const client = new openai.OpenAI({ apiKey: "k", baseURL: process.env.MOCK_URL, maxRetries: 0 });',
      'client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] }).then(() => console.log("done"));',
    ].join('\n');

  before(async () => {
    mock = await startMockOpenAI();
    fs.cpSync(path.join(ROOT, 'node_modules', 'openai'), repo, { recursive: true, dereference: true });
    fs.mkdirSync(path.join(dir, 'app'));
    fs.writeFileSync(path.join(dir, 'app', 'app.js'), callerScript('../openai'));
    fs.mkdirSync(path.join(repo, 'tests'));
    fs.writeFileSync(path.join(repo, 'tests', 'own.js'), callerScript('..'));
  });

  after(async () => {
    await mock?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function records(script: string) {
    const logFile = path.join(dir, `${path.basename(script)}.jsonl`);
    const { stdout } = await run(process.execPath, [script], {
      cwd: dir,
      env: {
        ...process.env,
        MOCK_URL: mock.url,
        MIMA_GUARD_MODE: 'report',
        MIMA_GUARD_LOG_FILE: logFile,
        MIMA_DAEMON_SOCKET: path.join(dir, 'no-daemon.sock'),
      },
    });
    assert.equal(stdout.trim(), 'done');
    return readLog(logFile).records;
  }

  it("an app outside the SDK's directory: the app's line, not the SDK's client.js", async () => {
    const found = await records(path.join(dir, 'app', 'app.js'));
    assert.equal(found.length, 1);
    assert.equal(found[0].call_site, 'openai.OpenAI.chat');
    assert.equal(found[0].code_file, path.join('app', 'app.js'));
    assert.equal(found[0].code_line, 5);
  });

  it("the SDK's own tests, inside its directory: no location rather than the SDK's file", async () => {
    const found = await records(path.join(repo, 'tests', 'own.js'));
    assert.equal(found.length, 1);
    assert.equal(found[0].code_file, null);
  });
});
