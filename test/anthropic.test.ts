import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import nock from 'nock';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { attest, MimaAttestationError } from '../src';
import {
  captureWarnings,
  clearRecords,
  isCallSite,
  LOG_FILE,
  readRecords,
  ROOT,
  useGuard,
} from './helpers/guard';
import { CANARY } from './helpers/openai';
import {
  ANTHROPIC_URL,
  ANTHROPIC_VERSIONS,
  BEDROCK_URL,
  fakeGoogleAuthClient,
  loadAnthropic,
  loadBedrock,
  loadVertex,
  makeAnthropic,
  messageBody,
  messageReply,
  messageStreamBody,
  VERTEX_URL,
  type AnthropicClient,
  type AnthropicVersion,
  type Message,
} from './helpers/anthropic';
import { FIXTURES, runRegisteredApp } from './helpers/esm-app';
import { countingReply } from './helpers/mock-http';
import { requireMovedCopy } from './helpers/moved-copy';
import { isolateSdkTests } from './helpers/sdk-suite';
import { recordSpans } from './helpers/spans';

/** Messages reply interceptor that counts the requests that really left the client. */
const mockMessages = (times = 1) =>
  countingReply(ANTHROPIC_URL, '/v1/messages', () => messageReply(), { times });

// The shared contract (attested, streaming, messages.stream(), blocked before any byte,
// withResponse/asResponse, CommonJS and ES module) runs in test/conformance; these are anthropic's own.
for (const version of ANTHROPIC_VERSIONS) {
  describe(`@anthropic-ai/sdk ${version}.x (CommonJS)`, () => {
    let client: AnthropicClient;

    before(() => {
      client = makeAnthropic(loadAnthropic(version));
    });

    isolateSdkTests();

    it('block mode rejects messages.create with MimaAttestationError before any request leaves', async () => {
      useGuard({ mode: 'block' });
      const seen = mockMessages();
      const promise = client.messages.create(messageBody);
      assert.equal(promise.constructor.name, 'APIPromise', 'the SDK promise is returned, not a replacement');
      await assert.rejects(promise, (error: unknown) => {
        assert.ok(error instanceof MimaAttestationError);
        assert.equal(error.code, 'MIMA_UNATTESTED_CALL');
        assert.equal(error.callSite, 'anthropic.Anthropic.messages');
        assert.match(error.message, /anthropic\.test\.js:\d+/, 'names the user file:line');
        assert.ok(!error.message.includes(CANARY));
        return true;
      });
      assert.equal(seen.requests, 0, 'no request reached the server');
      const [record] = await readRecords();
      assert.equal(record.call_site, 'anthropic.Anthropic.messages');
      assert.equal(record.blocked, true);
    });

    it('block mode is delivered as a rejection, never a synchronous throw', async () => {
      useGuard({ mode: 'block' });
      let promise: Promise<unknown> | undefined;
      assert.doesNotThrow(() => {
        promise = client.messages.create(messageBody);
      });
      await assert.rejects(promise!, MimaAttestationError);
    });

    it('warn mode warns once per code location, lets the call through and reports every call', async () => {
      useGuard({ mode: 'warn' });
      const seen = mockMessages(3);
      const capture = captureWarnings();
      try {
        for (let i = 0; i < 3; i++) await client.messages.create(messageBody);
        await capture.settle();
      } finally {
        capture.stop();
      }
      assert.equal(seen.requests, 3);
      assert.equal(capture.warnings.length, 1, 'one warning for one (call site, location)');
      assert.match(
        capture.warnings[0].message,
        /anthropic\.Anthropic\.messages at .*anthropic\.test\.js:\d+/,
      );
      assert.ok(!capture.warnings[0].message.includes(CANARY));
      const records = await readRecords();
      assert.equal(records.length, 3);
      assert.ok(records.every((r) => r.call_site === 'anthropic.Anthropic.messages' && !r.blocked));
    });

    it('report mode is silent and writes the JSONL record, without content', async () => {
      useGuard({ mode: 'report' });
      const seen = mockMessages();
      const capture = captureWarnings();
      try {
        await client.messages.create(messageBody);
        await capture.settle();
      } finally {
        capture.stop();
      }
      assert.equal(seen.requests, 1);
      assert.equal(capture.warnings.length, 0);
      const [record] = await readRecords();
      assert.equal(record.call_site, 'anthropic.Anthropic.messages');
      assert.equal(record.mode, 'report');
      assert.match(record.code_file ?? '', /anthropic\.test\.js$/);
      assert.ok(!fs.readFileSync(LOG_FILE, 'utf8').includes(CANARY));
    });

    it('names the call site after the resource; beta calls are named like the others', async () => {
      useGuard({ mode: 'block' });
      const calls: Array<[string, () => Promise<unknown>]> = [
        ['anthropic.Anthropic.messages', () => client.messages.create(messageBody)],
      ];
      const { beta, completions, models } = client;
      // 0.20: POST /v1/messages?beta=tools; 1.x: POST /v1/messages?beta=true.
      const betaMessages = beta.messages ?? beta.tools?.messages;
      calls.push(['anthropic.Anthropic.messages', () => betaMessages!.create(messageBody)]);
      if (completions) {
        // POST /v1/complete, the legacy Text Completions API (gone from 1.x).
        const prompt = `\n\nHuman: ${CANARY}\n\nAssistant:`;
        calls.push([
          'anthropic.Anthropic.completions',
          () => completions.create({ model: 'claude-2', max_tokens_to_sample: 8, prompt }),
        ]);
      }
      if (models) calls.push(['anthropic.Anthropic.models', () => models.retrieve('claude-test')]);
      for (const [callSite, call] of calls) await assert.rejects(call(), isCallSite(callSite));
      const records = await readRecords();
      assert.deepEqual(
        records.map((r) => r.call_site),
        calls.map(([callSite]) => callSite),
      );
    });
  });
}

describe('@anthropic-ai/sdk 1.x Bedrock and Vertex clients', () => {
  const msg = messageBody;
  const vertexOrigin = new URL(VERTEX_URL).origin;
  let bedrock: ReturnType<typeof loadBedrock>;
  let vertex: ReturnType<typeof loadVertex>;

  before(() => {
    bedrock = loadBedrock();
    vertex = loadVertex();
  });

  isolateSdkTests();

  /** AWS credentials from a resolver that counts its lookups, as the default provider chain would look them up. */
  function bedrockClient() {
    const auth = { lookups: 0 };
    const providerChainResolver = async () => {
      auth.lookups++;
      return async () => ({ accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' });
    };
    const client = new bedrock.AnthropicBedrock({
      apiKey: null,
      awsRegion: 'us-east-1',
      baseURL: BEDROCK_URL,
      providerChainResolver,
      maxRetries: 0,
    });
    return { client, auth };
  }

  function vertexClient() {
    const authClient = fakeGoogleAuthClient();
    const client = new vertex.AnthropicVertex({
      region: 'us-east5',
      projectId: 'test-project',
      authClient,
      baseURL: VERTEX_URL,
      maxRetries: 0,
    });
    return { client, authClient };
  }

  it('blocks an AnthropicBedrock call before credentials are looked up or a request leaves', async () => {
    useGuard({ mode: 'block' });
    const { client, auth } = bedrockClient();
    const scope = nock(BEDROCK_URL).post(/.*/).reply(200, messageReply());
    await assert.rejects(client.messages.create(msg), isCallSite('anthropic.AnthropicBedrock.messages'));
    assert.equal(auth.lookups, 0, 'no AWS credential lookup');
    assert.equal(scope.isDone(), false, 'no request left');
  });

  it('lets an attested AnthropicBedrock call through to the Bedrock URL it rewrites after the patch point', async () => {
    useGuard({ mode: 'block' });
    const { client, auth } = bedrockClient();
    nock(BEDROCK_URL).post('/model/claude-test/invoke').reply(200, messageReply());
    const message = await attest(() => client.messages.create(msg))();
    assert.equal(message.content[0].text, 'hello');
    assert.equal(auth.lookups, 1, 'signed with the looked-up credentials');
  });

  it('names AnthropicBedrockMantle calls anthropic.AnthropicBedrockMantle.messages', async () => {
    useGuard({ mode: 'block' });
    const client = new bedrock.AnthropicBedrockMantle({ apiKey: 'k', baseURL: BEDROCK_URL, maxRetries: 0 });
    const scope = nock(BEDROCK_URL).post(/.*/).reply(200, messageReply());
    await assert.rejects(
      client.messages.create(msg),
      isCallSite('anthropic.AnthropicBedrockMantle.messages'),
    );
    assert.equal(scope.isDone(), false);
  });

  it('blocks an AnthropicVertex call before a Google token is requested or a request leaves', async () => {
    useGuard({ mode: 'block' });
    const { client, authClient } = vertexClient();
    const scope = nock(vertexOrigin).post(/.*/).reply(200, messageReply());
    await assert.rejects(client.messages.create(msg), isCallSite('anthropic.AnthropicVertex.messages'));
    await assert.rejects(
      client.messages.create({ ...msg, stream: true }),
      isCallSite('anthropic.AnthropicVertex.messages'),
    );
    assert.equal(authClient.tokenRequests, 0, 'no OAuth token requested');
    assert.equal(scope.isDone(), false, 'no request left');
  });

  it('lets an attested AnthropicVertex call through to the rawPredict URL it rewrites after the patch point', async () => {
    useGuard({ mode: 'block' });
    const { client, authClient } = vertexClient();
    nock(vertexOrigin)
      .post('/v1/projects/test-project/locations/us-east5/publishers/anthropic/models/claude-test:rawPredict')
      .reply(200, messageReply());
    const message = await attest(() => client.messages.create(msg))();
    assert.equal(message.content[0].text, 'hello');
    assert.equal(authClient.tokenRequests, 1);
  });

  it('reports unattested Bedrock and Vertex calls under their own client names', async () => {
    useGuard({ mode: 'report' });
    nock(BEDROCK_URL).post('/model/claude-test/invoke').reply(200, messageReply());
    nock(vertexOrigin)
      .post(/rawPredict$/)
      .reply(200, messageReply());
    await bedrockClient().client.messages.create(msg);
    await vertexClient().client.messages.create(msg);
    assert.deepEqual(
      (await readRecords()).map((r) => r.call_site),
      ['anthropic.AnthropicBedrock.messages', 'anthropic.AnthropicVertex.messages'],
    );
  });
});

describe('@anthropic-ai/sdk layout changes', () => {
  it('warns once, naming package and version, when methodRequest has moved, and the call still goes through', async () => {
    const { exports, warnings } = await requireMovedCopy('@anthropic-ai/sdk', '1.99.0', {
      'client.js':
        'class Anthropic { send(path) { return Promise.resolve("sent " + path); } }\nexports.Anthropic = Anthropic;\n',
      'index.js': 'module.exports = require("./client.js");\n',
    });
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0],
      /patch point client\.js#Anthropic\.methodRequest\|request\|requestAPIList\|getAPIList not found in @anthropic-ai\/sdk 1\.99\.0/,
    );
    const { Anthropic } = exports as { Anthropic: new () => { send(path: string): Promise<string> } };
    assert.equal(await new Anthropic().send('/v1/messages'), 'sent /v1/messages');
  });
});

describe('@anthropic-ai/sdk mima.ai_call spans', () => {
  const clients = new Map<AnthropicVersion, AnthropicClient>();
  let platforms: ReturnType<typeof loadBedrock> & ReturnType<typeof loadVertex>;

  before(() => {
    platforms = { ...loadBedrock(), ...loadVertex() };
    // 1.x clients emit their own spans through this provider; 0.20 has none.
    const openTelemetry = { tracerProvider: provider };
    for (const version of ANTHROPIC_VERSIONS) {
      clients.set(version, makeAnthropic(loadAnthropic(version), { openTelemetry }));
    }
  });

  // Registered after the loading hook, as before: loading an SDK re-enables the guard with defaults.
  const { exporter, provider } = recordSpans({ mode: 'warn', activeContext: true });

  after(() => nock.cleanAll());

  beforeEach(async () => {
    nock.cleanAll();
    await clearRecords();
  });

  /** Runs fn under an active span, as an app's request handler would, and returns the finished spans. */
  async function underCallerSpan(fn: () => Promise<unknown>) {
    await provider.getTracer('app').startActiveSpan('handle-request', async (span) => {
      try {
        await fn();
      } finally {
        span.end();
      }
    });
    const spans = exporter.getFinishedSpans();
    const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;
    const caller = spans.find((s) => s.name === 'handle-request')!;
    const guard = spans.filter((s) => s.name === 'mima.ai_call');
    const sdk = spans.filter((s) => s.name.startsWith('anthropic.'));
    return { spans, caller: caller.spanContext().spanId, guard, sdk, parentOf };
  }

  for (const version of ANTHROPIC_VERSIONS) {
    it(`${version}.x: an unattested call is one mima.ai_call span under the caller span, with no content`, async () => {
      useGuard({ mode: 'warn' });
      nock(ANTHROPIC_URL).post('/v1/messages').reply(200, messageReply());
      const client = clients.get(version)!;
      const { guard, caller, parentOf } = await underCallerSpan(() => client.messages.create(messageBody));
      assert.equal(guard.length, 1, 'one detection for one call');
      assert.equal(parentOf(guard[0]), caller);
      assert.equal(guard[0].attributes['mima.call_site'], 'anthropic.Anthropic.messages');
      assert.equal(guard[0].attributes['gen_ai.provider.name'], 'anthropic');
      assert.equal(guard[0].attributes['gen_ai.operation.name'], 'chat');
      assert.equal(guard[0].attributes['gen_ai.request.model'], 'claude-test');
      const exported = guard.map((s) => ({ name: s.name, attributes: s.attributes, events: s.events }));
      assert.ok(!JSON.stringify(exported).includes(CANARY));
    });
  }

  it("1.x: the guard's span sits beside the SDK's own span, both children of the caller span", async () => {
    useGuard({ mode: 'warn' });
    nock(ANTHROPIC_URL).post('/v1/messages').reply(200, messageReply());
    nock(ANTHROPIC_URL)
      .post('/v1/messages')
      .reply(200, messageStreamBody(), { 'content-type': 'text/event-stream' });
    const client = clients.get('1')!;
    const { guard, sdk, caller, parentOf } = await underCallerSpan(async () => {
      await client.messages.create(messageBody);
      await client.messages.stream(messageBody).finalText();
    });
    // The SDK starts its span in messages.create()/stream() without making it active and only
    // enters it after methodRequest has returned, so the guard's span is its sibling. The
    // stream() helper's span has the same name.
    assert.deepEqual(
      sdk.map((s) => [s.name, s.kind, parentOf(s) === caller]),
      [
        ['anthropic.messages.create', 2 /* SpanKind.CLIENT */, true],
        ['anthropic.messages.create', 2, true],
      ],
    );
    assert.equal(guard.length, 2, 'one detection per call, none for the SDK span');
    for (const span of guard) {
      assert.equal(parentOf(span), caller);
      assert.ok(!sdk.some((s) => parentOf(s) === span.spanContext().spanId));
    }
  });

  it("1.x: in the SDK's tool runner, the guard's span is still the sibling of the SDK's call span", async () => {
    useGuard({ mode: 'report' });
    nock(ANTHROPIC_URL).post('/v1/messages').query(true).reply(200, messageReply());
    const beta = clients.get('1')!.beta.messages as unknown as {
      toolRunner(body: object): Promise<Message>;
    };
    const { guard, sdk, caller, parentOf } = await underCallerSpan(() =>
      beta.toolRunner({ ...messageBody, tools: [], max_iterations: 1 }),
    );
    // The runner makes its own span active around the calls it makes, so both call spans sit under it.
    const runner = sdk.find((s) => s.name === 'anthropic.messages.tool_runner')!;
    const call = sdk.find((s) => s.name === 'anthropic.messages.create')!;
    assert.equal(parentOf(runner), caller);
    assert.equal(guard.length, 1);
    assert.equal(parentOf(guard[0]), runner.spanContext().spanId);
    assert.equal(parentOf(call), runner.spanContext().spanId);
  });

  it("1.x: a blocked call's span is an error span under the caller span and nothing is sent", async () => {
    useGuard({ mode: 'block' });
    const scope = nock(ANTHROPIC_URL).post('/v1/messages').reply(200, messageReply());
    const client = clients.get('1')!;
    const { guard, caller, parentOf } = await underCallerSpan(() =>
      assert.rejects(client.messages.create(messageBody), MimaAttestationError),
    );
    assert.equal(guard.length, 1);
    assert.equal(parentOf(guard[0]), caller);
    assert.equal(guard[0].attributes['mima.blocked'], true);
    assert.equal(guard[0].status.code, 2 /* SpanStatusCode.ERROR */);
    assert.equal(scope.isDone(), false);
  });

  it('0.20.x: a completions call is a text_completion operation', async () => {
    useGuard({ mode: 'block' });
    const { completions } = clients.get('0.20')!;
    const { guard } = await underCallerSpan(() =>
      assert.rejects(
        completions!.create({ model: 'claude-2', max_tokens_to_sample: 8, prompt: CANARY }),
        MimaAttestationError,
      ),
    );
    assert.equal(guard[0].attributes['mima.call_site'], 'anthropic.Anthropic.completions');
    assert.equal(guard[0].attributes['gen_ai.operation.name'], 'text_completion');
    assert.equal(guard[0].attributes['gen_ai.request.model'], 'claude-2');
  });

  it('names the platform: aws.bedrock for AnthropicBedrock, gcp.vertex_ai for AnthropicVertex', async () => {
    const { AnthropicBedrock, AnthropicVertex } = platforms;
    useGuard({ mode: 'block' });
    const bedrock = new AnthropicBedrock({
      awsAccessKey: 'AKIDTEST',
      awsSecretKey: 'secret',
      awsRegion: 'us-east-1',
      baseURL: BEDROCK_URL,
      maxRetries: 0,
    });
    const vertex = new AnthropicVertex({
      region: 'us-east5',
      projectId: 'test-project',
      authClient: fakeGoogleAuthClient(),
      baseURL: VERTEX_URL,
      maxRetries: 0,
    });
    const { guard } = await underCallerSpan(async () => {
      await assert.rejects(bedrock.messages.create(messageBody), MimaAttestationError);
      await assert.rejects(vertex.messages.create(messageBody), MimaAttestationError);
    });
    assert.deepEqual(
      guard.map((s) => [s.attributes['mima.call_site'], s.attributes['gen_ai.provider.name']]),
      [
        ['anthropic.AnthropicBedrock.messages', 'aws.bedrock'],
        ['anthropic.AnthropicVertex.messages', 'gcp.vertex_ai'],
      ],
    );
  });
});

describe('@anthropic-ai/sdk ES module apps (node --import …/register)', () => {
  const blocked = (client: string) => ({
    attested: 'hello',
    unattested: `MimaAttestationError:anthropic.${client}.messages`,
  });

  function runApp(version: AnthropicVersion, ...flags: string[]) {
    const versionDir = path.join(ROOT, 'test', 'versions', `anthropic-${version}`);
    const output = runRegisteredApp(path.join(FIXTURES, 'anthropic', 'app.mjs'), [versionDir, ...flags]);
    return JSON.parse(output) as Record<string, unknown>;
  }

  it('patches the ES module copy of @anthropic-ai/sdk 0.20.x (core.mjs)', () => {
    assert.deepEqual(runApp('0.20'), {
      Anthropic: blocked('Anthropic'),
      patchPoints: ['core.mjs#APIClient.methodRequest|request|requestAPIList|getAPIList'],
    });
  });

  it('patches the ES module copies of @anthropic-ai/sdk 1.x, the Bedrock and the Vertex client (client.mjs)', () => {
    assert.deepEqual(runApp('1', '--platforms'), {
      Anthropic: blocked('Anthropic'),
      AnthropicBedrock: blocked('AnthropicBedrock'),
      AnthropicVertex: blocked('AnthropicVertex'),
      patchPoints: ['client.mjs#Anthropic.methodRequest|request|requestAPIList|getAPIList'],
    });
  });
});
