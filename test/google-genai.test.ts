import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { attest, MimaAttestationError, MimaGovernance } from '../src';
import { FIXTURES, runRegisteredApp } from './helpers/esm-app';
import { captureWarnings, LOG_FILE, readRecords, useGuard } from './helpers/guard';
import {
  GEMINI_ORIGIN,
  generateContentReply,
  generateContentStreamBody,
  GOOGLE_GENAI_DIR,
  GOOGLE_GENAI_RUNS_HERE,
  loadGoogleGenAI,
  makeGenAI,
  type GoogleGenAIClient,
  type GoogleGenAIModule,
} from './helpers/google-genai';
import { countingReply } from './helpers/mock-http';
import { CANARY } from './helpers/openai';
import { isolateSdkTests } from './helpers/sdk-suite';
import { recordSpans } from './helpers/spans';

const MODEL = 'gemini-2.5-flash';

/** Interceptors that count the requests that really left the client. */
const mockGenerate = (times = 1) =>
  countingReply(GEMINI_ORIGIN, /:generateContent$/, () => generateContentReply(), { times });
const mockStream = () =>
  countingReply(
    GEMINI_ORIGIN,
    /:streamGenerateContent\?alt=sse$/,
    () => generateContentStreamBody('hel', 'lo'),
    {
      headers: { 'content-type': 'text/event-stream' },
    },
  );
const mockEmbed = () =>
  countingReply(GEMINI_ORIGIN, /:batchEmbedContents$/, () => ({ embeddings: [{ values: [0.5] }] }));

const generate = (client: GoogleGenAIClient) =>
  client.models.generateContent({ model: MODEL, contents: CANARY });

async function collect(stream: AsyncGenerator<{ text?: string }>): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.text ?? '';
  return text;
}

const skipped = GOOGLE_GENAI_RUNS_HERE ? '' : ' (skipped: @google/genai 3 needs Node 22+)';

(GOOGLE_GENAI_RUNS_HERE ? describe : describe.skip)(`@google/genai 3.x (CommonJS)${skipped}`, () => {
  let genai: GoogleGenAIModule;
  let client: GoogleGenAIClient;

  before(() => {
    genai = loadGoogleGenAI();
    client = makeGenAI(genai);
  });

  isolateSdkTests();

  it('lets attested generateContent, generateContentStream and embedContent through and records nothing', async () => {
    useGuard({ mode: 'block' });
    const generated = mockGenerate();
    const streamed = mockStream();
    const embedded = mockEmbed();
    const answers = await attest(async () => {
      const reply = await generate(client);
      const stream = await client.models.generateContentStream({ model: MODEL, contents: CANARY });
      const embedding = await client.models.embedContent({ model: 'gemini-embedding-001', contents: CANARY });
      return { text: reply.text, streamed: await collect(stream), values: embedding.embeddings?.[0].values };
    })();
    assert.deepEqual(answers, { text: 'hello', streamed: 'hello', values: [0.5] });
    assert.deepEqual([generated.requests, streamed.requests, embedded.requests], [1, 1, 1]);
    assert.deepEqual(await readRecords(), []);
  });

  it('block mode rejects generateContent with MimaAttestationError before any request leaves', async () => {
    useGuard({ mode: 'block' });
    const seen = mockGenerate();
    let promise: Promise<unknown> | undefined;
    assert.doesNotThrow(() => {
      promise = generate(client);
    }, 'never a synchronous throw');
    await assert.rejects(promise!, (error: unknown) => {
      assert.ok(error instanceof MimaAttestationError);
      assert.equal(error.code, 'MIMA_UNATTESTED_CALL');
      assert.equal(error.callSite, 'google-genai.GoogleGenAI.models');
      assert.match(error.message, /attest\(\)/, 'names the fix');
      assert.ok(!error.message.includes(CANARY));
      return true;
    });
    assert.equal(seen.requests, 0, 'no request reached the server');
    const [record] = await readRecords();
    assert.equal(record.call_site, 'google-genai.GoogleGenAI.models');
    assert.equal(record.blocked, true);
    assert.equal(record.mode, 'block');
  });

  it('treats every call through a client passed to MimaGovernance.wrap as attested', async () => {
    useGuard({ mode: 'block' });
    const wrapped = new MimaGovernance({ systemName: 'test' }).wrap(makeGenAI(genai));
    const seen = mockGenerate();
    await generate(wrapped);
    assert.equal(seen.requests, 1);
    await assert.rejects(generate(client), MimaAttestationError, 'another client stays guarded');
  });

  it('warn mode warns once per code location, lets the call through and reports every call', async () => {
    useGuard({ mode: 'warn' });
    const seen = mockGenerate(3);
    const capture = captureWarnings();
    try {
      for (let i = 0; i < 3; i++) assert.equal((await generate(client)).text, 'hello');
      await capture.settle();
    } finally {
      capture.stop();
    }
    assert.equal(seen.requests, 3);
    assert.equal(capture.warnings.length, 1, 'one warning for one (call site, location)');
    assert.match(
      capture.warnings[0].message,
      /google-genai\.GoogleGenAI\.models at .*google-genai\.test\.js:\d+/,
    );
    assert.ok(!capture.warnings[0].message.includes(CANARY));
    const records = await readRecords();
    assert.equal(records.length, 3);
    assert.ok(records.every((r) => r.call_site === 'google-genai.GoogleGenAI.models' && !r.blocked));
  });

  it('report mode is silent, lets the stream through and writes a JSONL record without content', async () => {
    useGuard({ mode: 'report' });
    const seen = mockStream();
    const capture = captureWarnings();
    let text: string;
    try {
      text = await collect(await client.models.generateContentStream({ model: MODEL, contents: CANARY }));
      await capture.settle();
    } finally {
      capture.stop();
    }
    assert.equal(text, 'hello');
    assert.equal(seen.requests, 1);
    assert.equal(capture.warnings.length, 0);
    const [record] = await readRecords();
    assert.equal(record.call_site, 'google-genai.GoogleGenAI.models');
    assert.equal(record.mode, 'report');
    assert.equal(record.attested, false);
    assert.ok(!fs.readFileSync(LOG_FILE, 'utf8').includes(CANARY));
  });

  it('names the call site after the GoogleGenAI resource whose path the request goes to', async () => {
    useGuard({ mode: 'block' });
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['google-genai.GoogleGenAI.models', () => generate(client)],
      [
        'google-genai.GoogleGenAI.models',
        () => client.models.countTokens({ model: MODEL, contents: CANARY }),
      ],
      [
        'google-genai.GoogleGenAI.models',
        () => client.chats.create({ model: MODEL }).sendMessage({ message: CANARY }),
      ],
      ['google-genai.GoogleGenAI.caches', () => client.caches.list()],
      ['google-genai.GoogleGenAI.batches', () => client.batches.list()],
      ['google-genai.GoogleGenAI.files', () => client.files.list()],
      // Vertex AI only: its tuningJobs collection.
      ['google-genai.GoogleGenAI.tunings', () => makeGenAI(genai, true).tunings.list()],
    ];
    for (const [callSite, call] of calls) {
      await assert.rejects(call(), (error: MimaAttestationError) => error.callSite === callSite);
    }
    assert.deepEqual(
      (await readRecords()).map((r) => r.call_site),
      calls.map(([callSite]) => callSite),
    );
  });

  describe('mima.ai_call span', () => {
    const { exporter } = recordSpans({ mode: 'block' });

    const genAISpan = () => {
      const spans = exporter.getFinishedSpans();
      assert.equal(spans.length, 1);
      assert.ok(!JSON.stringify(spans.map((s) => s.attributes)).includes(CANARY), 'no content on the span');
      return spans[0].attributes;
    };

    it('carries the Gemini provider, generate_content and the request model, never the content', async () => {
      await assert.rejects(generate(client), MimaAttestationError);
      assert.deepEqual(pick(genAISpan()), {
        'mima.call_site': 'google-genai.GoogleGenAI.models',
        'gen_ai.provider.name': 'gcp.gemini',
        'gen_ai.operation.name': 'generate_content',
        'gen_ai.request.model': MODEL,
      });
    });

    it('names streamed generation generate_content and embedContent embeddings', async () => {
      await assert.rejects(client.models.generateContentStream({ model: MODEL, contents: CANARY }));
      assert.equal(genAISpan()['gen_ai.operation.name'], 'generate_content');
      exporter.reset();
      await assert.rejects(client.models.embedContent({ model: 'gemini-embedding-001', contents: CANARY }));
      assert.deepEqual(pick(genAISpan()), {
        'mima.call_site': 'google-genai.GoogleGenAI.models',
        'gen_ai.provider.name': 'gcp.gemini',
        'gen_ai.operation.name': 'embeddings',
        'gen_ai.request.model': 'gemini-embedding-001',
      });
    });

    it('names a Vertex AI client gcp.vertex_ai', async () => {
      await assert.rejects(generate(makeGenAI(genai, true)), MimaAttestationError);
      assert.deepEqual(pick(genAISpan()), {
        'mima.call_site': 'google-genai.GoogleGenAI.models',
        'gen_ai.provider.name': 'gcp.vertex_ai',
        'gen_ai.operation.name': 'generate_content',
        'gen_ai.request.model': MODEL,
      });
    });
  });
});

function pick(attributes: Record<string, unknown>) {
  const keys = ['mima.call_site', 'gen_ai.provider.name', 'gen_ai.operation.name', 'gen_ai.request.model'];
  return Object.fromEntries(keys.map((key) => [key, attributes[key]]));
}

/** Runs the ES module app under `node --import …/register` in block mode. */
function runApp(...args: string[]) {
  const output = runRegisteredApp(path.join(FIXTURES, 'google-genai', 'app.mjs'), [
    GOOGLE_GENAI_DIR,
    ...args,
  ]);
  return JSON.parse(output) as Record<string, object> & { patchPoints: string[] };
}

const blocked = {
  attested: 'hello',
  unattested: 'MimaAttestationError:google-genai.GoogleGenAI.models',
  stream: 'MimaAttestationError:google-genai.GoogleGenAI.models',
  unattestedRequests: 0,
};

(GOOGLE_GENAI_RUNS_HERE ? describe : describe.skip)(`@google/genai 3.x (ES module apps)${skipped}`, () => {
  it('patches `import { GoogleGenAI } from "@google/genai"` in its entry module and blocks before any request', () => {
    const result = runApp('bare');
    assert.deepEqual(result.esm, blocked);
    assert.deepEqual(result.patchPoints, [
      '@google/genai#ApiClient.request|requestStream|NextGen._createRequest',
    ]);
  });

  it('patches both copies when one process imports the ES module file and requires the CommonJS one', () => {
    const result = runApp('url', '--also-require');
    assert.deepEqual(result.esm, blocked);
    assert.deepEqual(result.cjs, blocked);
    assert.deepEqual(result.patchPoints, [
      '@google/genai#ApiClient.request|requestStream|NextGen._createRequest',
      'dist/node/index.mjs#ApiClient.request|requestStream|NextGen._createRequest',
    ]);
  });
});
