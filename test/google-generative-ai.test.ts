import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { attest, getGuardStatus, MimaAttestationError, MimaGovernance } from '../src';
import { FIXTURES, runRegisteredApp } from './helpers/esm-app';
import { LOG_FILE, readRecords, useGuard } from './helpers/guard';
import { countingReply } from './helpers/mock-http';
import { CANARY } from './helpers/openai';
import { isolateSdkTests } from './helpers/sdk-suite';
import { recordSpans } from './helpers/spans';
import {
  load,
  MODEL,
  ORIGIN,
  reply,
  WORKSPACE,
  type GenerativeAIModule,
  type GenerativeModel,
  type LangChainGoogleModule,
} from './helpers/google-generative-ai';

const PATCH_POINT =
  'GenerativeModel.generateContent|generateContentStream|countTokens|embedContent|batchEmbedContents,' +
  'ChatSession.sendMessage|sendMessageStream';

/** Interceptors counting the requests that really left the client. */
const mockGenerate = (times = 1) => countingReply(ORIGIN, /:generateContent$/, () => reply(), { times });
describe('@google/generative-ai 0.24 (CommonJS)', () => {
  let sdk: GenerativeAIModule;
  let model: GenerativeModel;

  const makeModel = (name = MODEL) =>
    new sdk.GoogleGenerativeAI('test-key').getGenerativeModel({ model: name }, { baseUrl: ORIGIN });

  before(() => {
    sdk = load<GenerativeAIModule>('@google/generative-ai');
    model = makeModel();
  });

  isolateSdkTests();

  it('patches GenerativeModel and ChatSession in the entry module (the single-file bundle)', () => {
    const status = getGuardStatus().sdks.find((s) => s.module === '@google/generative-ai');
    assert.deepEqual(
      status?.patches.map((p) => [p.version, p.patchPoint, p.active]),
      [['0.24.1', `@google/generative-ai#${PATCH_POINT}`, true]],
    );
  });

  it('block mode rejects every model and chat method before any request leaves', async () => {
    useGuard({ mode: 'block' });
    const seen = countingReply(ORIGIN, /.*/, () => reply(), { times: 10 });
    const chat = model.startChat();
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['GenerativeModel.generateContent', () => model.generateContent(CANARY)],
      ['GenerativeModel.generateContentStream', () => model.generateContentStream(CANARY)],
      ['GenerativeModel.countTokens', () => model.countTokens(CANARY)],
      ['GenerativeModel.embedContent', () => model.embedContent(CANARY)],
      [
        'GenerativeModel.batchEmbedContents',
        () =>
          model.batchEmbedContents({ requests: [{ content: { role: 'user', parts: [{ text: CANARY }] } }] }),
      ],
      ['ChatSession.sendMessage', () => chat.sendMessage(CANARY)],
      ['ChatSession.sendMessageStream', () => chat.sendMessageStream(CANARY)],
    ];
    for (const [name, call] of calls) {
      let promise: Promise<unknown> | undefined;
      assert.doesNotThrow(() => (promise = call()), 'never a synchronous throw');
      await assert.rejects(promise!, (error: unknown) => {
        assert.ok(error instanceof MimaAttestationError);
        assert.equal(error.callSite, `google-generative-ai.${name}`);
        assert.ok(!error.message.includes(CANARY));
        return true;
      });
    }
    assert.equal(seen.requests, 0, 'no request reached the server');
    assert.deepEqual(
      (await readRecords()).map((r) => [r.call_site, r.blocked, r.code_file]),
      calls.map(([name]) => [
        `google-generative-ai.${name}`,
        true,
        'build/test/google-generative-ai.test.js',
      ]),
    );
    assert.ok(!fs.readFileSync(LOG_FILE, 'utf8').includes(CANARY));
  });

  it('treats a model passed to MimaGovernance.wrap as attested, and no other', async () => {
    useGuard({ mode: 'block' });
    const seen = mockGenerate();
    const wrapped = new MimaGovernance({ systemName: 'test' }).wrap(makeModel());
    assert.equal((await wrapped.generateContent(CANARY)).response.text(), 'hello');
    await assert.rejects(model.generateContent(CANARY), MimaAttestationError);
    assert.equal(seen.requests, 1);
  });

  describe('mima.ai_call span', () => {
    const { exporter } = recordSpans({ mode: 'block' });

    it('carries gcp.gemini, the operation and the request model, never the content', async () => {
      await assert.rejects(model.generateContent(CANARY), MimaAttestationError);
      await assert.rejects(model.startChat().sendMessageStream(CANARY), MimaAttestationError);
      await assert.rejects(makeModel('text-embedding-004').embedContent(CANARY), MimaAttestationError);
      await assert.rejects(makeModel('tunedModels/my-model').countTokens(CANARY), MimaAttestationError);
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
          ['google-generative-ai.GenerativeModel.generateContent', 'gcp.gemini', 'generate_content', MODEL],
          ['google-generative-ai.ChatSession.sendMessageStream', 'gcp.gemini', 'generate_content', MODEL],
          [
            'google-generative-ai.GenerativeModel.embedContent',
            'gcp.gemini',
            'embeddings',
            'text-embedding-004',
          ],
          [
            'google-generative-ai.GenerativeModel.countTokens',
            'gcp.gemini',
            'countTokens',
            'tunedModels/my-model',
          ],
        ],
      );
    });
  });
});

describe('@langchain/google-genai 2 over @google/generative-ai (one record per user call)', () => {
  let langchain: LangChainGoogleModule;

  const chatModel = (maxRetries = 0) =>
    new langchain.ChatGoogleGenerativeAI({ model: MODEL, apiKey: 'test-key', baseUrl: ORIGIN, maxRetries });

  before(() => (langchain = load<LangChainGoogleModule>('@langchain/google-genai')));

  isolateSdkTests();

  it('an unattested invoke() yields exactly one record, the SDK call, at the caller’s line', async () => {
    useGuard({ mode: 'report' });
    const seen = mockGenerate();
    const message = await chatModel().invoke(CANARY);
    assert.equal(message.content, 'hello');
    assert.equal(seen.requests, 1);
    const records = await readRecords();
    assert.deepEqual(
      records.map((r) => [r.call_site, r.code_file]),
      [['google-generative-ai.GenerativeModel.generateContent', 'build/test/google-generative-ai.test.js']],
    );
    assert.ok(!fs.readFileSync(LOG_FILE, 'utf8').includes(CANARY));
  });

  it('an attested invoke() goes through and records nothing', async () => {
    useGuard({ mode: 'block' });
    const seen = mockGenerate();
    assert.equal((await attest(() => chatModel().invoke(CANARY))()).content, 'hello');
    assert.equal(seen.requests, 1);
    assert.deepEqual(await readRecords(), []);
  });

  it('block mode rejects invoke() once, before any request, even with retries allowed', async () => {
    useGuard({ mode: 'block' });
    const seen = mockGenerate(7);
    await assert.rejects(chatModel(6).invoke(CANARY), (error: unknown) => {
      assert.ok(error instanceof MimaAttestationError);
      assert.equal(error.callSite, 'google-generative-ai.GenerativeModel.generateContent');
      return true;
    });
    assert.equal(seen.requests, 0);
    assert.deepEqual(
      (await readRecords()).map((r) => [r.call_site, r.blocked]),
      [['google-generative-ai.GenerativeModel.generateContent', true]],
    );
  });
});

describe('@google/generative-ai 0.24 (ES module app)', () => {
  it('patches `import { GoogleGenerativeAI }` (dist/index.mjs) and LangChain’s ES module import of it', () => {
    const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-generative-ai-'));
    try {
      const output = runRegisteredApp(path.join(FIXTURES, 'google-generative-ai', 'app.mjs'), [WORKSPACE], {
        logFile: path.join(logDir, 'guard_log.jsonl'),
        quiet: true,
      });
      assert.deepEqual(JSON.parse(output), {
        attested: 'hello',
        unattested: 'MimaAttestationError:google-generative-ai.GenerativeModel.generateContent',
        stream: 'MimaAttestationError:google-generative-ai.GenerativeModel.generateContentStream',
        langchain: 'MimaAttestationError:google-generative-ai.GenerativeModel.generateContent',
        requests: 1,
        patchPoints: [`dist/index.mjs#${PATCH_POINT}`],
      });
    } finally {
      fs.rmSync(logDir, { recursive: true, force: true });
    }
  });
});
