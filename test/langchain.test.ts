import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { attest, MimaAttestationError } from '../src';
import { FIXTURES, runRegisteredApp } from './helpers/esm-app';
import { LOG_FILE, readRecords, ROOT, useGuard } from './helpers/guard';
import { readLogRecords } from './helpers/log-lines';
import { countingReply } from './helpers/mock-http';
import { BASE_URL, CANARY, chatCompletion } from './helpers/openai';
import { isolateSdkTests } from './helpers/sdk-suite';
import { tempDir as makeTempDir } from './helpers/temp-dir';

/**
 * The higher-layer rule from the other side: LangChain is not patched, so a ChatOpenAI call is
 * reported once, by the patched SDK it ends in (its own openai 7), named after that call.
 */
type ChatOpenAIClass = (typeof import('@langchain/openai'))['ChatOpenAI'];

const HOST = new URL(BASE_URL).origin;
const WORKSPACE = path.join(ROOT, 'test', 'versions', 'langchain-openai-1');

/** @langchain/openai 1.x and the openai 7 it depends on declare Node >= 22. */
const RUNS_HERE = Number(process.versions.node.split('.')[0]) >= 22;
const skipped = RUNS_HERE ? '' : ' (skipped: @langchain/openai 1.x and openai 7 need Node 22+)';

/** Loads @langchain/openai's CommonJS build (which requires its openai 7), with the guard's hooks in place first. */
function loadChatOpenAI(): ChatOpenAIClass {
  useGuard();
  const entry = require.resolve('@langchain/openai', { paths: [WORKSPACE] });
  return (require(entry) as typeof import('@langchain/openai')).ChatOpenAI;
}

const mockChat = (times = 1) =>
  countingReply(HOST, '/v1/chat/completions', () => chatCompletion(), { times });

(RUNS_HERE ? describe : describe.skip)(
  `LangChain ChatOpenAI over openai 7 (not patched itself)${skipped}`,
  () => {
    let ChatOpenAI: ChatOpenAIClass;

    const chat = (maxRetries = 0) =>
      new ChatOpenAI({
        model: 'gpt-test',
        apiKey: 'test-key',
        maxRetries,
        configuration: { baseURL: BASE_URL },
      });

    before(() => (ChatOpenAI = loadChatOpenAI()));

    isolateSdkTests();

    it('an unattested invoke() yields exactly one record, openai.OpenAI.chat, at the caller’s line', async () => {
      useGuard({ mode: 'report' });
      const seen = mockChat();
      const message = await chat().invoke(CANARY);
      assert.equal(message.content, 'hello');
      assert.equal(seen.requests, 1);
      const records = await readRecords();
      assert.deepEqual(
        records.map((r) => r.call_site),
        ['openai.OpenAI.chat'],
      );
      assert.match(records[0].code_file ?? '', /langchain\.test\.js$/);
      assert.ok(!fs.readFileSync(LOG_FILE, 'utf8').includes(CANARY));
    });

    it('an attested invoke() goes through and records nothing', async () => {
      useGuard({ mode: 'block' });
      const seen = mockChat();
      const message = await attest(() => chat().invoke(CANARY))();
      assert.equal(message.content, 'hello');
      assert.equal(seen.requests, 1);
      assert.deepEqual(await readRecords(), []);
    });

    it('block mode rejects invoke() with the MimaAttestationError before any request leaves', async () => {
      useGuard({ mode: 'block' });
      const seen = mockChat();
      await assert.rejects(chat().invoke(CANARY), (error: unknown) => {
        assert.ok(error instanceof MimaAttestationError);
        assert.equal(error.callSite, 'openai.OpenAI.chat');
        assert.ok(!error.message.includes(CANARY));
        return true;
      });
      assert.equal(seen.requests, 0);
      assert.deepEqual(
        (await readRecords()).map((r) => [r.call_site, r.blocked]),
        [['openai.OpenAI.chat', true]],
      );
    });

    it('block mode is not retried by LangChain: one attempt, one record, even with retries allowed', async () => {
      useGuard({ mode: 'block' });
      const seen = mockChat(7);
      await assert.rejects(chat(6).invoke(CANARY), MimaAttestationError);
      assert.equal(seen.requests, 0, 'no attempt reached the server');
      assert.deepEqual(
        (await readRecords()).map((r) => r.call_site),
        ['openai.OpenAI.chat'],
        'MimaAttestationError tells LangChain a retry cannot succeed',
      );
    });

    it('an ES module app’s invoke() (openai 7 in ES module form) yields exactly one record', () => {
      const logFile = path.join(makeTempDir('mima-langchain-'), 'guard_log.jsonl');
      const output = runRegisteredApp(path.join(FIXTURES, 'langchain', 'app.mjs'), [], {
        mode: 'report',
        logFile,
        quiet: true,
      });
      assert.deepEqual(JSON.parse(output), { attested: 'hello', unattested: 'sent:hello', requests: 2 });
      const records = readLogRecords(logFile);
      assert.deepEqual(
        records.map((r) => [r.call_site, r.code_file]),
        [['openai.OpenAI.chat', 'test/fixtures/langchain/app.mjs']],
      );
      assert.ok(!fs.readFileSync(logFile, 'utf8').includes(CANARY));
    });
  },
);
