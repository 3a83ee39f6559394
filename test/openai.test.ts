import * as assert from 'node:assert/strict';
import nock from 'nock';
import { MimaAttestationError, MimaGovernance } from '../src';
import { LOG_FILE, readRecords, useGuard, captureWarnings, isGuardErrorOrCause } from './helpers/guard';
import { countingReply } from './helpers/mock-http';
import {
  BASE_URL,
  CANARY,
  chatCompletion,
  loadOpenAI,
  makeClient,
  OPENAI_MAJORS,
  runsOnThisNode,
  userMessage,
  type OpenAIClient,
  type OpenAIModule,
} from './helpers/openai';
import { isolateSdkTests } from './helpers/sdk-suite';
import * as fs from 'node:fs';

const HOST = new URL(BASE_URL).origin;

/** Chat reply interceptor that counts the requests that really left the client. */
const mockChat = (times = 1) =>
  countingReply(HOST, '/v1/chat/completions', () => chatCompletion(), { times });

// The shared contract (attested, blocked before any byte, streaming, warn/report records, spans,
// withResponse/asResponse/parse/stream/runTools) runs for every major in test/conformance; these
// are openai's own cases.
for (const major of OPENAI_MAJORS) {
  const describeVersion = runsOnThisNode(major) ? describe : describe.skip;

  const skipped = runsOnThisNode(major) ? '' : ` (skipped: openai ${major} needs Node 22+)`;
  describeVersion(`openai ${major}.x (CommonJS)${skipped}`, () => {
    let openai: OpenAIModule;
    let client: OpenAIClient;

    before(() => {
      openai = loadOpenAI(major);
      client = makeClient(openai);
    });

    isolateSdkTests();

    it('block mode rejects with MimaAttestationError before any request leaves', async () => {
      useGuard({ mode: 'block' });
      const seen = mockChat();
      const promise = client.chat.completions.create({ model: 'gpt-test', messages: userMessage });
      assert.equal(promise.constructor.name, 'APIPromise', 'the SDK promise is returned, not a replacement');
      await assert.rejects(promise, (error: unknown) => {
        assert.ok(error instanceof MimaAttestationError);
        assert.equal(error.code, 'MIMA_UNATTESTED_CALL');
        assert.equal(error.callSite, 'openai.OpenAI.chat');
        assert.match(error.message, /openai\.OpenAI\.chat/);
        assert.match(error.message, /openai\.test\.js:\d+/, 'names the user file:line');
        assert.match(error.message, /attest\(\)/, 'names the fix');
        assert.ok(!error.message.includes(CANARY));
        return true;
      });
      assert.equal(seen.requests, 0, 'no request reached the server');
      const [record] = await readRecords();
      assert.equal(record.call_site, 'openai.OpenAI.chat');
      assert.equal(record.blocked, true);
      assert.equal(record.mode, 'block');
    });

    it('block mode is delivered as a rejection, never a synchronous throw', async () => {
      useGuard({ mode: 'block' });
      let promise: Promise<unknown> | undefined;
      assert.doesNotThrow(() => {
        promise = client.embeddings.create({ model: 'emb', input: CANARY });
      });
      await assert.rejects(promise!, MimaAttestationError);
    });

    it('warn mode warns once per code location, lets the call through and reports every call', async () => {
      useGuard({ mode: 'warn' });
      const seen = mockChat(3);
      const capture = captureWarnings();
      try {
        for (let i = 0; i < 3; i++) {
          await client.chat.completions.create({ model: 'gpt-test', messages: userMessage });
        }
        await capture.settle();
      } finally {
        capture.stop();
      }
      assert.equal(seen.requests, 3);
      assert.equal(capture.warnings.length, 1, 'one warning for one (call site, location)');
      assert.match(capture.warnings[0].message, /openai\.OpenAI\.chat at .*openai\.test\.js:\d+/);
      assert.ok(!capture.warnings[0].message.includes(CANARY));
      const records = await readRecords();
      assert.equal(records.length, 3);
      assert.ok(
        records.every((r) => r.call_site === 'openai.OpenAI.chat' && !r.blocked && r.mode === 'warn'),
      );
    });

    it('counts a retried call once: the retries go below the patched methods', async () => {
      useGuard({ mode: 'report' });
      const retrying = new openai.OpenAI({ apiKey: 'test-key', baseURL: BASE_URL, maxRetries: 2 });
      const scope = nock(HOST)
        .post('/v1/chat/completions')
        .times(2)
        .reply(500, { error: { message: 'try again' } }, { 'retry-after-ms': '1' })
        .post('/v1/chat/completions')
        .reply(200, chatCompletion());
      const answer = await retrying.chat.completions.create({ model: 'gpt-test', messages: userMessage });
      assert.equal(answer.choices[0].message.content, 'hello');
      assert.ok(scope.isDone(), 'three requests: two retries');
      const records = await readRecords();
      assert.deepEqual(
        records.map((r) => r.call_site),
        ['openai.OpenAI.chat'],
      );
    });

    it('checks list calls and every next page (requestAPIList), not only methodRequest', async () => {
      useGuard({ mode: 'block' });
      const scope = nock(HOST).get('/v1/models').reply(200, { object: 'list', data: [] });
      const page = client.models.list();
      assert.equal(page.constructor.name, 'PagePromise', 'the SDK promise is returned, not a replacement');
      await assert.rejects(page, isGuardErrorOrCause);
      assert.equal(scope.isDone(), false, 'the list request never left');
      const [record] = await readRecords();
      assert.equal(record.call_site, 'openai.OpenAI.models');
      assert.equal(record.blocked, true);
    });

    it('report mode is silent and writes the JSONL record', async () => {
      useGuard({ mode: 'report' });
      const seen = mockChat();
      const capture = captureWarnings();
      try {
        await client.chat.completions.create({ model: 'gpt-test', messages: userMessage });
        await capture.settle();
      } finally {
        capture.stop();
      }
      assert.equal(seen.requests, 1);
      assert.equal(capture.warnings.length, 0);
      const [record] = await readRecords();
      assert.deepEqual(Object.keys(record).slice(0, 3), ['ts', 'call_site', 'attested']);
      assert.equal(record.attested, false);
      assert.equal(record.pid, process.pid);
      assert.match(record.code_file ?? '', /openai\.test\.js$/);
      assert.ok(Number.isInteger(record.code_line));
      assert.ok(!fs.readFileSync(LOG_FILE, 'utf8').includes(CANARY));
    });

    it('names the call site after the resource the request goes to', async () => {
      useGuard({ mode: 'block' });
      const calls: Array<[string, () => Promise<unknown>]> = [
        ['openai.OpenAI.chat', () => client.chat.completions.create({ model: 'm', messages: userMessage })],
        ['openai.OpenAI.completions', () => client.completions.create({ model: 'm', prompt: CANARY })],
        ['openai.OpenAI.embeddings', () => client.embeddings.create({ model: 'm', input: CANARY })],
        ['openai.OpenAI.moderations', () => client.moderations.create({ input: CANARY })],
        ['openai.OpenAI.images', () => client.images.generate({ prompt: CANARY })],
        [
          'openai.OpenAI.audio',
          () => client.audio.speech.create({ model: 'tts', voice: 'alloy', input: CANARY }),
        ],
        [
          'openai.OpenAI.batches',
          () =>
            client.batches.create({
              input_file_id: 'f',
              endpoint: '/v1/chat/completions',
              completion_window: '24h',
            }),
        ],
        ['openai.OpenAI.responses', () => client.responses.create({ model: 'm', input: CANARY })],
      ];
      for (const [callSite, call] of calls) {
        await assert.rejects(call(), (error: MimaAttestationError) => error.callSite === callSite);
      }
      const records = await readRecords();
      assert.deepEqual(
        records.map((r) => r.call_site),
        calls.map(([callSite]) => callSite),
      );
    });

    it('names Azure calls openai.AzureOpenAI.<resource>', async () => {
      useGuard({ mode: 'block' });
      const azure = new openai.AzureOpenAI({
        apiKey: 'k',
        endpoint: 'https://azure.test',
        apiVersion: '2024-10-21',
        deployment: 'dep',
        maxRetries: 0,
      });
      await assert.rejects(
        azure.chat.completions.create({ model: 'gpt', messages: userMessage }),
        (error: MimaAttestationError) => error.callSite === 'openai.AzureOpenAI.chat',
      );
    });

    it('names Bedrock calls openai.BedrockOpenAI.<resource> where the SDK ships that client', async function () {
      const Bedrock = (openai as unknown as Record<string, unknown>).BedrockOpenAI as
        (new (options: object) => OpenAIClient) | undefined;
      if (!Bedrock) this.skip();
      useGuard({ mode: 'block' });
      const bedrock = new Bedrock({ apiKey: 'k', awsRegion: 'us-east-1', maxRetries: 0 });
      await assert.rejects(
        bedrock.chat.completions.create({ model: 'gpt', messages: userMessage }),
        (error: MimaAttestationError) => error.callSite === 'openai.BedrockOpenAI.chat',
      );
    });

    it('treats every call through a client passed to MimaGovernance.wrap as attested', async () => {
      useGuard({ mode: 'block' });
      const wrapped = new MimaGovernance({ systemName: 'test' }).wrap(makeClient(openai));
      const seen = mockChat();
      await wrapped.chat.completions.create({ model: 'gpt-test', messages: userMessage });
      assert.equal(seen.requests, 1);
      assert.ok(wrapped instanceof openai.OpenAI, 'the client itself comes back, not a Proxy');
      await assert.rejects(
        client.chat.completions.create({ model: 'gpt-test', messages: userMessage }),
        MimaAttestationError,
      );
    });
  });
}
