import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { getGuardStatus, MimaAttestationError, MimaGovernance } from '../src';
import { FIXTURES, runRegisteredApp } from './helpers/esm-app';
import { LOG_FILE, readRecords, useGuard } from './helpers/guard';
import { countingReply } from './helpers/mock-http';
import { CANARY } from './helpers/openai';
import { isolateSdkTests } from './helpers/sdk-suite';
import { recordSpans } from './helpers/spans';
import {
  fakeAuth,
  loadVertexAI,
  makeVertexAI,
  MODEL,
  ORIGIN,
  reply,
  WORKSPACE,
  type GenerateResult,
  type GenerativeModel,
  type VertexAI,
  type VertexAIModule,
} from './helpers/vertexai';

const textOf = (response: GenerateResult['response']) => response.candidates?.[0].content.parts[0].text;
const contents = [{ role: 'user', parts: [{ text: CANARY }] }];

describe('@google-cloud/vertexai 1.x (CommonJS)', () => {
  let sdk: VertexAIModule;
  let auth: ReturnType<typeof fakeAuth>;
  let vertex: VertexAI;
  let model: GenerativeModel;
  let restoreWarn: () => void;

  const makeVertex = () => makeVertexAI(sdk, auth);

  before(() => {
    // The SDK's constructor prints its deprecation notice with console.warn on every client.
    const warn = console.warn;
    console.warn = () => undefined;
    restoreWarn = () => (console.warn = warn);
    sdk = loadVertexAI();
    auth = fakeAuth();
    vertex = makeVertex();
    model = vertex.getGenerativeModel({ model: MODEL });
  });
  after(() => restoreWarn());
  beforeEach(() => (auth.tokens = 0));

  isolateSdkTests();

  const mockGenerate = (times = 1) => countingReply(ORIGIN, /:generateContent$/, () => reply(), { times });

  it('patches the model and chat-session classes, preview ones included', () => {
    const status = getGuardStatus().sdks.find((s) => s.module === '@google-cloud/vertexai');
    assert.deepEqual(status?.patches.map((p) => [p.version, p.patchPoint, p.active]).sort(), [
      [
        '1.12.0',
        'build/src/models/chat_session.js#ChatSession.sendMessage|sendMessageStream,' +
          'ChatSessionPreview.sendMessage|sendMessageStream',
        true,
      ],
      [
        '1.12.0',
        'build/src/models/generative_models.js#GenerativeModel.generateContent|generateContentStream|countTokens,' +
          'GenerativeModelPreview.generateContent|generateContentStream|countTokens',
        true,
      ],
    ]);
  });

  it('block mode rejects every model and chat method before any request, a token request included', async () => {
    useGuard({ mode: 'block' });
    const seen = countingReply(ORIGIN, /.*/, () => reply(), { times: 10 });
    const preview = vertex.preview.getGenerativeModel({ model: MODEL });
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['GenerativeModel.generateContent', () => model.generateContent({ contents })],
      ['GenerativeModel.generateContentStream', () => model.generateContentStream({ contents })],
      ['GenerativeModel.countTokens', () => model.countTokens({ contents })],
      ['ChatSession.sendMessage', () => model.startChat({}).sendMessage(CANARY)],
      ['ChatSession.sendMessageStream', () => model.startChat({}).sendMessageStream(CANARY)],
      ['GenerativeModelPreview.generateContent', () => preview.generateContent({ contents })],
      ['GenerativeModelPreview.generateContentStream', () => preview.generateContentStream({ contents })],
      ['ChatSessionPreview.sendMessage', () => preview.startChat({}).sendMessage(CANARY)],
    ];
    for (const [name, call] of calls) {
      let promise: Promise<unknown> | undefined;
      assert.doesNotThrow(() => (promise = call()), 'never a synchronous throw');
      await assert.rejects(promise!, (error: unknown) => {
        assert.ok(error instanceof MimaAttestationError);
        assert.equal(error.callSite, `vertexai.${name}`);
        assert.ok(!error.message.includes(CANARY));
        return true;
      });
    }
    assert.equal(seen.requests, 0, 'no request reached the server');
    assert.equal(auth.tokens, 0, 'no access token was asked for');
    assert.deepEqual(
      (await readRecords()).map((r) => [r.call_site, r.blocked, r.code_file]),
      calls.map(([name]) => [`vertexai.${name}`, true, 'build/test/vertexai.test.js']),
    );
    assert.ok(!fs.readFileSync(LOG_FILE, 'utf8').includes(CANARY));
  });

  it('a VertexAI client passed to MimaGovernance.wrap attests its models and chats; another client stays guarded', async () => {
    useGuard({ mode: 'block' });
    const seen = mockGenerate(2);
    const wrapped = new MimaGovernance({ systemName: 'test' }).wrap(makeVertex());
    const wrappedModel = wrapped.getGenerativeModel({ model: MODEL });
    assert.equal(textOf((await wrappedModel.generateContent({ contents })).response), 'hello');
    assert.equal(textOf((await wrappedModel.startChat({}).sendMessage(CANARY)).response), 'hello');
    await assert.rejects(model.generateContent({ contents }), MimaAttestationError);
    assert.equal(seen.requests, 2);
  });

  describe('mima.ai_call span', () => {
    const { exporter } = recordSpans({ mode: 'block' });

    it('carries gcp.vertex_ai, the operation and the model (never the project or the content)', async () => {
      await assert.rejects(model.generateContent({ contents }), MimaAttestationError);
      await assert.rejects(model.startChat({}).sendMessageStream(CANARY), MimaAttestationError);
      const tuned = vertex.getGenerativeModel({
        model: 'projects/test-project/locations/us-central1/endpoints/123',
      });
      await assert.rejects(tuned.countTokens({ contents }), MimaAttestationError);
      const spans = exporter.getFinishedSpans();
      assert.ok(!JSON.stringify(spans.map((s) => s.attributes)).includes(CANARY));
      assert.deepEqual(
        spans.map((s) => [
          s.attributes['mima.call_site'],
          s.attributes['gen_ai.provider.name'],
          s.attributes['gen_ai.operation.name'],
          s.attributes['gen_ai.request.model'],
        ]),
        [
          ['vertexai.GenerativeModel.generateContent', 'gcp.vertex_ai', 'generate_content', MODEL],
          ['vertexai.ChatSession.sendMessageStream', 'gcp.vertex_ai', 'generate_content', MODEL],
          ['vertexai.GenerativeModel.countTokens', 'gcp.vertex_ai', 'countTokens', 'endpoints/123'],
        ],
      );
    });
  });
});

describe('@google-cloud/vertexai 1.x (ES module app)', () => {
  it('patches `import { VertexAI } from "@google-cloud/vertexai"` (CommonJS only) and blocks before any request', () => {
    const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-vertexai-'));
    try {
      const output = runRegisteredApp(path.join(FIXTURES, 'vertexai', 'app.mjs'), [WORKSPACE], {
        logFile: path.join(logDir, 'guard_log.jsonl'),
        quiet: true,
      });
      assert.deepEqual(JSON.parse(output), {
        attested: 'hello',
        unattested: 'MimaAttestationError:vertexai.GenerativeModel.generateContent',
        stream: 'MimaAttestationError:vertexai.GenerativeModel.generateContentStream',
        requests: 1,
        tokens: 1,
      });
    } finally {
      fs.rmSync(logDir, { recursive: true, force: true });
    }
  });
});
