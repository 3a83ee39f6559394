import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { MimaAttestationError } from '../src';
import { FIXTURES, runRegisteredApp } from './helpers/esm-app';
import { isCallSite, isGuardErrorOrCause, readRecords, ROOT, useGuard } from './helpers/guard';
import { readLogRecords } from './helpers/log-lines';
import { CANARY } from './helpers/openai';
import { isolateSdkTests } from './helpers/sdk-suite';
import { recordSpans } from './helpers/spans';

const WORKSPACE = path.join(ROOT, 'test', 'versions', 'inference-clients');

/** A local model server: JSON (or server-sent events) per path, counting the requests per path. */
function startModelServer(replies: Record<string, () => { type?: string; body: string }>) {
  const requests: Record<string, number> = {};
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const url = (req.url ?? '').split('?')[0];
      requests[url] = (requests[url] ?? 0) + 1;
      const reply = replies[url]?.();
      if (!reply) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': reply.type ?? 'application/json' }).end(reply.body);
    });
  });
  return {
    requests,
    async start() {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
    reset() {
      for (const key of Object.keys(requests)) delete requests[key];
    },
  };
}

const json = (body: object) => () => ({ body: JSON.stringify(body) });
const chatReply = {
  id: 'c-1',
  object: 'chat.completion',
  created: 1,
  model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content: 'hello' }, finish_reason: 'stop' }],
};
const chatStream = () => ({
  type: 'text/event-stream',
  body:
    ['hel', 'lo']
      .map(
        (content) =>
          `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content } }] })}\n\n`,
      )
      .join('') + 'data: [DONE]\n\n',
});

interface HfClient {
  chatCompletion(args: object): Promise<{ choices: Array<{ message: { content: string } }> }>;
  chatCompletionStream(args: object): AsyncIterable<{ choices: Array<{ delta: { content?: string } }> }>;
  featureExtraction(args: object): Promise<unknown>;
  textGeneration(args: object): Promise<{ generated_text: string }>;
}
interface HfModule {
  InferenceClient: new (token: string, options?: object) => HfClient;
  chatCompletion(args: object): Promise<unknown>;
}

describe('@huggingface/inference 4.x (CommonJS)', () => {
  const server = startModelServer({
    '/v1/chat/completions': json(chatReply),
    '/stream/v1/chat/completions': chatStream,
    '/embed': json([[0.5, 0.25]]),
    // An endpoint serves text generation OpenAI-style.
    '/generate/v1/completions': json({ choices: [{ text: 'hello' }] }),
  });
  let hf: HfModule;
  let origin: string;
  /** A client for a dedicated endpoint (hf-inference), here the local server. */
  const client = (endpoint = '') =>
    new hf.InferenceClient('hf_test', { endpointUrl: `${origin}${endpoint}` });
  const messages = [{ role: 'user', content: CANARY }];
  const chat = () => client().chatCompletion({ model: 'meta-llama/Llama-3.1-8B-Instruct', messages });

  before(async () => {
    origin = await server.start();
    useGuard();
    hf = require(require.resolve('@huggingface/inference', { paths: [WORKSPACE] })) as HfModule;
  });
  beforeEach(() => server.reset());
  after(() => server.stop());

  isolateSdkTests();

  it('block mode rejects each kind of call before any request, the stream at its first chunk', async () => {
    useGuard({ mode: 'block' });
    await assert.rejects(chat(), (error: unknown) => {
      assert.ok(error instanceof MimaAttestationError);
      assert.equal(error.callSite, 'huggingface.chatCompletion');
      assert.ok(!error.message.includes(CANARY));
      return true;
    });
    const stream = client('/stream').chatCompletionStream({ model: 'm', messages })[Symbol.asyncIterator]();
    await assert.rejects(stream.next(), isCallSite('huggingface.chatCompletion'));
    await assert.rejects(
      client('/embed').featureExtraction({ model: 'e', inputs: CANARY }),
      isCallSite('huggingface.featureExtraction'),
    );
    await assert.rejects(
      client('/generate').textGeneration({ model: 'g', inputs: CANARY }),
      isCallSite('huggingface.textGeneration'),
    );
    // The standalone function, as the package exports it.
    await assert.rejects(
      hf.chatCompletion({ accessToken: 'hf_test', endpointUrl: origin, model: 'm', messages }),
      isCallSite('huggingface.chatCompletion'),
    );
    assert.deepEqual(server.requests, {}, 'no request reached the server');
    assert.deepEqual(
      (await readRecords()).map((r) => [r.call_site, r.blocked]),
      [
        ['huggingface.chatCompletion', true],
        ['huggingface.chatCompletion', true],
        ['huggingface.featureExtraction', true],
        ['huggingface.textGeneration', true],
        ['huggingface.chatCompletion', true],
      ],
    );
  });

  describe('mima.ai_call span', () => {
    const { exporter } = recordSpans({ mode: 'block' });

    it('carries the provider the SDK picked, the operation and the model', async () => {
      await assert.rejects(chat(), MimaAttestationError);
      await assert.rejects(
        client('/embed').featureExtraction({ model: 'e-model', inputs: CANARY }),
        MimaAttestationError,
      );
      assert.deepEqual(
        exporter
          .getFinishedSpans()
          .map((s) => [
            s.attributes['gen_ai.provider.name'],
            s.attributes['gen_ai.operation.name'],
            s.attributes['gen_ai.request.model'],
          ]),
        [
          ['hf-inference', 'chat', 'meta-llama/Llama-3.1-8B-Instruct'],
          ['hf-inference', 'embeddings', 'e-model'],
        ],
      );
    });
  });
});

interface ReplicateClient {
  run(ref: string, options: object): Promise<unknown>;
  predictions: { create(options: object): Promise<{ id: string; status: string }> };
  deployments: { predictions: { create(owner: string, name: string, options: object): Promise<unknown> } };
  models: { list(): Promise<unknown> };
}

describe('replicate 1.x', () => {
  const prediction = (output: unknown) => json({ id: 'p-1', status: 'succeeded', output, urls: {} });
  const server = startModelServer({
    '/v1/models/acme/chat/predictions': prediction('hello'),
    '/v1/predictions': prediction([0.5]),
    '/v1/deployments/acme/prod/predictions': prediction('deployed'),
    '/v1/models': json({ results: [], next: null }),
  });
  let replicate: ReplicateClient;

  before(async () => {
    const origin = await server.start();
    useGuard();
    const Replicate = require(require.resolve('replicate', { paths: [WORKSPACE] })) as new (
      options: object,
    ) => ReplicateClient;
    replicate = new Replicate({ auth: 'r8_test', baseUrl: `${origin}/v1`, useFileOutput: false });
  });
  beforeEach(() => server.reset());
  after(() => server.stop());

  isolateSdkTests();

  const run = () => replicate.run('acme/chat', { input: { prompt: CANARY } });
  const embed = () =>
    replicate.predictions.create({ version: 'v-embed-1', input: { text: CANARY }, wait: true });
  const deployed = () =>
    replicate.deployments.predictions.create('acme', 'prod', { input: { prompt: CANARY }, wait: true });

  it('block mode rejects run() and both predictions.create before any request', async () => {
    useGuard({ mode: 'block' });
    await assert.rejects(run(), (error: unknown) => {
      assert.ok(isGuardErrorOrCause(error));
      assert.equal((error as MimaAttestationError).callSite, 'replicate.Replicate.predictions');
      assert.ok(!(error as Error).message.includes(CANARY));
      return true;
    });
    await assert.rejects(embed(), isCallSite('replicate.Replicate.predictions'));
    await assert.rejects(deployed(), isCallSite('replicate.Replicate.deployments'));
    assert.deepEqual(server.requests, {}, 'no request reached the server');
    assert.deepEqual(
      (await readRecords()).map((r) => [r.call_site, r.blocked]),
      [
        ['replicate.Replicate.predictions', true],
        ['replicate.Replicate.predictions', true],
        ['replicate.Replicate.deployments', true],
      ],
    );
  });

  it('report mode lets run() through with one record per run, and management calls with none', async () => {
    useGuard({ mode: 'report' });
    assert.equal(await run(), 'hello');
    await replicate.models.list();
    assert.deepEqual(server.requests, { '/v1/models/acme/chat/predictions': 1, '/v1/models': 1 });
    const records = await readRecords();
    assert.deepEqual(
      records.map((r) => [r.call_site, r.blocked, r.mode]),
      [['replicate.Replicate.predictions', false, 'report']],
    );
    assert.ok(records[0].code_file?.includes('inference-clients.test'));
  });

  describe('mima.ai_call span', () => {
    const { exporter } = recordSpans({ mode: 'block' });

    it('carries replicate, the prediction operation and the model or version', async () => {
      await assert.rejects(run(), MimaAttestationError);
      await assert.rejects(embed(), MimaAttestationError);
      await assert.rejects(deployed(), MimaAttestationError);
      assert.deepEqual(
        exporter
          .getFinishedSpans()
          .map((s) => [
            s.attributes['gen_ai.provider.name'],
            s.attributes['gen_ai.operation.name'],
            s.attributes['gen_ai.request.model'],
          ]),
        [
          ['replicate', 'prediction', 'acme/chat'],
          ['replicate', 'prediction', 'v-embed-1'],
          ['replicate', 'prediction', 'acme/prod'],
        ],
      );
    });
  });
});

describe('@huggingface/inference 4.x (an ES module app under register)', () => {
  it('blocks an unattested chat completion of the dist/esm copy before its request', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-hf-esm-'));
    try {
      const logFile = path.join(dir, 'guard_log.jsonl');
      const output = runRegisteredApp(path.join(FIXTURES, 'inference-clients', 'app.mjs'), [WORKSPACE], {
        logFile,
        mode: 'block',
        quiet: true,
      });
      assert.deepEqual(JSON.parse(output), {
        entry: true,
        attested: 'hello',
        unattested: 'MimaAttestationError:huggingface.chatCompletion',
        requests: 1,
      });
      const records = readLogRecords(logFile);
      assert.deepEqual(
        records.map((r) => r.call_site),
        ['huggingface.chatCompletion'],
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
