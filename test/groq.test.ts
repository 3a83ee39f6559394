import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import nock from 'nock';
import { MimaAttestationError } from '../src';
import { FIXTURES, runRegisteredApp } from './helpers/esm-app';
import { captureWarnings, isCallSite, LOG_FILE, readRecords, useGuard } from './helpers/guard';
import {
  chatBody,
  embeddingReply,
  GROQ_DIR,
  GROQ_URL,
  loadGroq,
  makeGroq,
  type GroqClient,
} from './helpers/groq';
import { countingReply } from './helpers/mock-http';
import { requireMovedCopy } from './helpers/moved-copy';
import { CANARY, chatCompletion } from './helpers/openai';
import { isolateSdkTests } from './helpers/sdk-suite';
import { recordSpans } from './helpers/spans';

const CHAT_PATH = '/openai/v1/chat/completions';

/** Chat reply interceptor that counts the requests that really left the client. */
const mockChat = (times = 1) => countingReply(GROQ_URL, CHAT_PATH, () => chatCompletion(), { times });

// The shared contract (attested, streaming, blocked before any byte, withResponse/asResponse, CommonJS
// and ES module) runs in test/conformance; these are groq's own cases.
describe('groq-sdk 1.x (CommonJS)', () => {
  let client: GroqClient;

  before(() => {
    client = makeGroq(loadGroq());
  });

  isolateSdkTests();

  it('block mode rejects with MimaAttestationError before any request leaves', async () => {
    useGuard({ mode: 'block' });
    const seen = mockChat();
    const promise = client.chat.completions.create(chatBody);
    assert.equal(promise.constructor.name, 'APIPromise', 'the SDK promise is returned, not a replacement');
    await assert.rejects(promise, (error: unknown) => {
      assert.ok(error instanceof MimaAttestationError);
      assert.equal(error.callSite, 'groq.Groq.chat');
      assert.match(error.message, /groq\.test\.js:\d+/, 'names the user file:line');
      assert.ok(!error.message.includes(CANARY));
      return true;
    });
    assert.equal(seen.requests, 0, 'no request reached the server');
    const [record] = await readRecords();
    assert.equal(record.call_site, 'groq.Groq.chat');
    assert.equal(record.blocked, true);
  });

  it('block mode is delivered as a rejection, never a synchronous throw', async () => {
    useGuard({ mode: 'block' });
    let promise: Promise<unknown> | undefined;
    assert.doesNotThrow(() => {
      promise = client.embeddings.create({ model: 'embed-test', input: CANARY });
    });
    await assert.rejects(promise!, isCallSite('groq.Groq.embeddings'));
  });

  it('warn mode warns once per code location, lets the call through and reports every call', async () => {
    useGuard({ mode: 'warn' });
    const seen = mockChat(3);
    const capture = captureWarnings();
    try {
      for (let i = 0; i < 3; i++) await client.chat.completions.create(chatBody);
      await capture.settle();
    } finally {
      capture.stop();
    }
    assert.equal(seen.requests, 3);
    assert.equal(capture.warnings.length, 1, 'one warning for one (call site, location)');
    assert.match(capture.warnings[0].message, /groq\.Groq\.chat at .*groq\.test\.js:\d+/);
    assert.ok(!capture.warnings[0].message.includes(CANARY));
    const records = await readRecords();
    assert.equal(records.length, 3);
    assert.ok(records.every((r) => r.call_site === 'groq.Groq.chat' && !r.blocked));
  });

  it('report mode is silent and writes the JSONL record, without content', async () => {
    useGuard({ mode: 'report' });
    nock(GROQ_URL).post('/openai/v1/embeddings').reply(200, embeddingReply());
    const capture = captureWarnings();
    try {
      await client.embeddings.create({ model: 'embed-test', input: CANARY });
      await capture.settle();
    } finally {
      capture.stop();
    }
    assert.equal(capture.warnings.length, 0);
    const [record] = await readRecords();
    assert.equal(record.call_site, 'groq.Groq.embeddings');
    assert.equal(record.mode, 'report');
    assert.match(record.code_file ?? '', /groq\.test\.js$/);
    assert.ok(!fs.readFileSync(LOG_FILE, 'utf8').includes(CANARY));
  });

  it('names the call site after the resource under /openai/v1/', async () => {
    useGuard({ mode: 'block' });
    const file = new File([CANARY], 'speech.wav');
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['groq.Groq.chat', () => client.chat.completions.create(chatBody)],
      ['groq.Groq.embeddings', () => client.embeddings.create({ model: 'embed-test', input: CANARY })],
      ['groq.Groq.audio', () => client.audio.speech.create({ model: 'tts', voice: 'v', input: CANARY })],
      ['groq.Groq.audio', () => client.audio.transcriptions.create({ model: 'whisper', file })],
    ];
    for (const [callSite, call] of calls) await assert.rejects(call(), isCallSite(callSite));
    assert.deepEqual(
      (await readRecords()).map((r) => r.call_site),
      calls.map(([callSite]) => callSite),
    );
  });
});

describe('groq-sdk mima.ai_call spans', () => {
  let client: GroqClient;

  before(() => {
    client = makeGroq(loadGroq());
  });

  const { exporter, provider } = recordSpans({ mode: 'block', activeContext: true });

  it('records provider groq, the operation and the request model under the caller span, with no content', async () => {
    await provider.getTracer('app').startActiveSpan('handle-request', async (span) => {
      await assert.rejects(client.chat.completions.create(chatBody), MimaAttestationError);
      await assert.rejects(
        client.embeddings.create({ model: 'embed-test', input: CANARY }),
        MimaAttestationError,
      );
      span.end();
    });
    const spans = exporter.getFinishedSpans();
    const caller = spans.find((s) => s.name === 'handle-request')!.spanContext().spanId;
    const guard = spans.filter((s) => s.name === 'mima.ai_call');
    assert.deepEqual(
      guard.map((s) => ({
        parent: s.parentSpanContext?.spanId === caller,
        callSite: s.attributes['mima.call_site'],
        provider: s.attributes['gen_ai.provider.name'],
        operation: s.attributes['gen_ai.operation.name'],
        model: s.attributes['gen_ai.request.model'],
      })),
      [
        {
          parent: true,
          callSite: 'groq.Groq.chat',
          provider: 'groq',
          operation: 'chat',
          model: 'llama-test',
        },
        {
          parent: true,
          callSite: 'groq.Groq.embeddings',
          provider: 'groq',
          operation: 'embeddings',
          model: 'embed-test',
        },
      ],
    );
    const exported = guard.map((s) => ({ attributes: s.attributes, events: s.events }));
    assert.ok(!JSON.stringify(exported).includes(CANARY));
  });
});

describe('groq-sdk ES module apps (node --import …/register)', () => {
  it('patches the ES module copy of groq-sdk 1.x (client.mjs) and blocks its unattested call', () => {
    const output = runRegisteredApp(path.join(FIXTURES, 'groq', 'app.mjs'), [GROQ_DIR]);
    assert.deepEqual(JSON.parse(output), {
      attested: 'hello',
      unattested: 'MimaAttestationError:groq.Groq.chat',
      patchPoints: ['client.mjs#Groq.methodRequest|request|requestAPIList|getAPIList'],
    });
  });
});

describe('groq-sdk layout changes', () => {
  it('warns once, naming package and version, when methodRequest has moved, and the call still goes through', async () => {
    const { exports, warnings } = await requireMovedCopy('groq-sdk', '1.99.0', {
      'client.js':
        'class Groq { send(path) { return Promise.resolve("sent " + path); } }\nexports.Groq = Groq;\n',
      'index.js': 'module.exports = require("./client.js");\n',
    });
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0],
      /patch point client\.js#Groq\.methodRequest\|request\|requestAPIList\|getAPIList not found in groq-sdk 1\.99\.0/,
    );
    const { Groq } = exports as { Groq: new () => { send(path: string): Promise<string> } };
    assert.equal(await new Groq().send('/openai/v1/chat/completions'), 'sent /openai/v1/chat/completions');
  });
});
