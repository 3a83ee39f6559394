import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { attest, MimaAttestationError } from '../src';
import { captureWarnings, isCallSite, LOG_FILE, readRecords, useGuard } from './helpers/guard';
import {
  chatV1Reply,
  chatV2Reply,
  chatV2StreamBody,
  COHERE_ORIGIN,
  embedReply,
  loadCohere,
  makeCohere,
  type CohereV1Client,
  type CohereV2Client,
} from './helpers/cohere';
import { FIXTURES, runRegisteredApp } from './helpers/esm-app';
import { countingReply } from './helpers/mock-http';
import { CANARY } from './helpers/openai';
import { isolateSdkTests } from './helpers/sdk-suite';
import { recordSpans } from './helpers/spans';

const messages = [{ role: 'user', content: CANARY }];

/** Replies to `times` POSTs to `path`, counting the requests that really left the client. */
const mockCohere = (path: string, reply: () => string | object, times = 1) =>
  countingReply(COHERE_ORIGIN, path, reply, { times });
const mockV2Stream = () =>
  countingReply(COHERE_ORIGIN, '/v2/chat', () => chatV2StreamBody('hel', 'lo'), {
    headers: { 'content-type': 'text/event-stream' },
  });

async function collect(stream: AsyncIterable<{ type?: string; delta?: unknown }>): Promise<string> {
  let text = '';
  for await (const event of stream) {
    if (event.type === 'content-delta') {
      text += (event.delta as { message: { content: { text: string } } }).message.content.text;
    }
  }
  return text;
}

describe('cohere-ai 8.x (CommonJS)', () => {
  let v1: CohereV1Client;
  let v2: CohereV2Client;
  const chatV1 = () => v1.chat({ model: 'command-r', message: CANARY });
  const chatV2 = () => v2.chat({ model: 'command-a', messages });
  const streamV2 = () => v2.chatStream({ model: 'command-a', messages });

  before(() => {
    ({ v1, v2 } = makeCohere(loadCohere()));
  });

  isolateSdkTests();

  it('lets attested chat, chatStream and embed calls of both clients through and records nothing', async () => {
    useGuard({ mode: 'block' });
    const seen = [
      mockCohere('/v1/chat', () => chatV1Reply()),
      mockCohere('/v2/chat', () => chatV2Reply()),
      mockV2Stream(),
      mockCohere('/v1/embed', embedReply),
    ];
    const answers = await attest(async () => ({
      v1: (await chatV1()).text,
      v2: (await chatV2()).message.content[0].text,
      stream: await collect(await streamV2()),
      embed: await v1.embed({ model: 'embed-v4.0', texts: [CANARY] }).then(() => 'done'),
    }))();
    assert.deepEqual(answers, { v1: 'hello', v2: 'hello', stream: 'hello', embed: 'done' });
    assert.deepEqual(
      seen.map((s) => s.requests),
      [1, 1, 1, 1],
    );
    assert.deepEqual(await readRecords(), []);
  });

  it("block mode rejects chat's own HttpResponsePromise with MimaAttestationError before any request", async () => {
    useGuard({ mode: 'block' });
    const seen = mockCohere('/v1/chat', () => chatV1Reply());
    let promise: Promise<unknown> | undefined;
    assert.doesNotThrow(() => {
      promise = chatV1();
    }, 'never a synchronous throw');
    assert.equal(promise!.constructor.name, 'HttpResponsePromise', 'the SDK promise is returned');
    await assert.rejects(promise!, (error: unknown) => {
      assert.ok(error instanceof MimaAttestationError);
      assert.equal(error.code, 'MIMA_UNATTESTED_CALL');
      assert.equal(error.callSite, 'cohere.CohereClient.chat');
      assert.match(error.message, /attest\(\)/, 'names the fix');
      assert.ok(!error.message.includes(CANARY));
      return true;
    });
    assert.equal(seen.requests, 0, 'no request reached the server');
    const [record] = await readRecords();
    assert.equal(record.call_site, 'cohere.CohereClient.chat');
    assert.equal(record.blocked, true);
  });

  it('block mode rejects chatStream of both clients before the stream request is sent', async () => {
    useGuard({ mode: 'block' });
    const seenV1 = mockCohere('/v1/chat', () => '');
    const seenV2 = mockV2Stream();
    await assert.rejects(
      v1.chatStream({ model: 'command-r', message: CANARY }),
      isCallSite('cohere.CohereClient.chat'),
    );
    await assert.rejects(streamV2(), isCallSite('cohere.CohereClientV2.chat'));
    assert.deepEqual([seenV1.requests, seenV2.requests], [0, 0], 'no streaming request left');
  });

  it('warn mode warns once, lets the call through and reports every call', async () => {
    useGuard({ mode: 'warn' });
    const seen = mockCohere('/v2/chat', () => chatV2Reply(), 3);
    const capture = captureWarnings();
    try {
      for (let i = 0; i < 3; i++) assert.equal((await chatV2()).message.content[0].text, 'hello');
      await capture.settle();
    } finally {
      capture.stop();
    }
    assert.equal(seen.requests, 3);
    assert.equal(capture.warnings.length, 1, 'one warning for one (call site, location)');
    assert.match(capture.warnings[0].message, /cohere\.CohereClientV2\.chat/);
    assert.ok(!capture.warnings[0].message.includes(CANARY));
    const records = await readRecords();
    assert.equal(records.length, 3);
    assert.ok(records.every((r) => r.call_site === 'cohere.CohereClientV2.chat' && !r.blocked));
  });

  it('report mode is silent, lets the stream through and writes a JSONL record without content', async () => {
    useGuard({ mode: 'report' });
    const seen = mockV2Stream();
    const capture = captureWarnings();
    let text: string;
    try {
      text = await collect(await streamV2());
      await capture.settle();
    } finally {
      capture.stop();
    }
    assert.equal(text, 'hello');
    assert.equal(seen.requests, 1);
    assert.equal(capture.warnings.length, 0);
    const [record] = await readRecords();
    assert.equal(record.call_site, 'cohere.CohereClientV2.chat');
    assert.equal(record.mode, 'report');
    assert.ok(!fs.readFileSync(LOG_FILE, 'utf8').includes(CANARY));
  });

  it('names the call site after the API version and the endpoint of the request', async () => {
    useGuard({ mode: 'block' });
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['cohere.CohereClient.chat', chatV1],
      ['cohere.CohereClientV2.chat', chatV2],
      ['cohere.CohereClient.embed', () => v1.embed({ model: 'embed-v4.0', texts: [CANARY] })],
      [
        'cohere.CohereClientV2.embed',
        () =>
          v2.embed({
            model: 'embed-v4.0',
            texts: [CANARY],
            inputType: 'search_query',
            embeddingTypes: ['float'],
          }),
      ],
      ['cohere.CohereClient.generate', () => v1.generate({ model: 'command', prompt: CANARY })],
      ['cohere.CohereClient.embedJobs', () => v1.embedJobs.list()],
      // the v2 API reached through the v1 client
      ['cohere.CohereClientV2.chat', () => v1.v2.chat({ model: 'command-a', messages })],
    ];
    for (const [callSite, call] of calls) {
      await assert.rejects(call(), isCallSite(callSite));
    }
    assert.deepEqual(
      (await readRecords()).map((r) => r.call_site),
      calls.map(([callSite]) => callSite),
    );
  });

  describe('mima.ai_call span', () => {
    const { exporter } = recordSpans({ mode: 'block' });

    it('carries cohere, the operation and the request model, never the content', async () => {
      const calls: Array<[() => Promise<unknown>, string, string]> = [
        [chatV1, 'chat', 'command-r'],
        [streamV2, 'chat', 'command-a'],
        [() => v1.embed({ model: 'embed-v4.0', texts: [CANARY] }), 'embeddings', 'embed-v4.0'],
        [() => v1.generate({ model: 'command', prompt: CANARY }), 'text_completion', 'command'],
      ];
      for (const [call] of calls) await assert.rejects(call(), MimaAttestationError);
      const spans = exporter.getFinishedSpans();
      assert.deepEqual(
        spans.map((s) => [
          s.attributes['gen_ai.provider.name'],
          s.attributes['gen_ai.operation.name'],
          s.attributes['gen_ai.request.model'],
        ]),
        calls.map(([, operation, model]) => ['cohere', operation, model]),
      );
      assert.ok(!JSON.stringify(spans.map((s) => s.attributes)).includes(CANARY), 'no content on the spans');
    });
  });
});

describe('cohere-ai 8.x (an ES module app under node --import …/register)', () => {
  it('patches `import { CohereClient } from "cohere-ai"` and blocks both clients before any request', () => {
    const output = runRegisteredApp(path.join(FIXTURES, 'cohere', 'app.mjs'), []);
    const blocked = (callSite: string) => ({
      attested: 'hello',
      unattested: `MimaAttestationError:${callSite}`,
      stream: `MimaAttestationError:${callSite}`,
      unattestedRequests: 0,
    });
    assert.deepEqual(JSON.parse(output), {
      v1: blocked('cohere.CohereClient.chat'),
      v2: blocked('cohere.CohereClientV2.chat'),
      patchPoints: [
        'core/fetcher/Fetcher.js#fetcher',
        'core/fetcher/makePassthroughRequest.js#makePassthroughRequest',
      ],
    });
  });
});
