import * as assert from 'node:assert/strict';
import nock from 'nock';
import { trace } from '@opentelemetry/api';
import { MimaAttestationError } from '../src';
import { clearRecords, isGuardErrorOrCause, readRecords, useGuard } from './helpers/guard';
import {
  BASE_URL,
  CANARY,
  chatCompletion,
  loadOpenAI,
  makeClient,
  OPENAI_MAJORS,
  runsOnThisNode,
  userMessage,
} from './helpers/openai';
import { recordSpans } from './helpers/spans';

describe('mima.ai_call spans', () => {
  const { exporter, provider } = recordSpans({ mode: 'warn', activeContext: true });
  const client = makeClient(loadOpenAI(6));

  after(() => nock.cleanAll());

  beforeEach(() => clearRecords());

  it('records an unattested call as a span under the caller span, with no content', async () => {
    useGuard({ mode: 'warn', workspaceId: 'ws-1' });
    nock(new URL(BASE_URL).origin).post('/v1/chat/completions').reply(200, chatCompletion());
    const tracer = provider.getTracer('app');
    await tracer.startActiveSpan('handle-request', async (parent) => {
      await client.chat.completions.create({ model: 'gpt-test', messages: userMessage });
      parent.end();
    });
    const span = exporter.getFinishedSpans().find((s) => s.name === 'mima.ai_call');
    const parent = exporter.getFinishedSpans().find((s) => s.name === 'handle-request');
    assert.ok(span && parent);
    assert.equal(span.parentSpanContext?.spanId, parent.spanContext().spanId);
    assert.equal(span.spanContext().traceId, parent.spanContext().traceId);
    assert.deepEqual(
      {
        ...span.attributes,
        'mima.record_id': typeof span.attributes['mima.record_id'],
        'code.line.number': 0,
      },
      {
        'mima.call_site': 'openai.OpenAI.chat',
        'mima.attested': false,
        'mima.mode': 'warn',
        'mima.blocked': false,
        'mima.workspace_id': 'ws-1',
        'mima.record_id': 'string',
        'gen_ai.provider.name': 'openai',
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-test',
        'code.file.path': span.attributes['code.file.path'],
        'code.line.number': 0,
      },
    );
    assert.match(String(span.attributes['code.file.path']), /spans\.test\.js$/);
    const exported = exporter
      .getFinishedSpans()
      .map((s) => ({ name: s.name, attributes: s.attributes, events: s.events }));
    assert.ok(!JSON.stringify(exported).includes(CANARY));
    // Durable by default: the span is telemetry, the JSONL line the custody copy of the same record.
    const lines = await readRecords();
    assert.deepEqual(
      lines.map((r) => r.id),
      [span.attributes['mima.record_id']],
      "one JSONL line, the span's record",
    );
  });

  it('marks a blocked call as an error span', async () => {
    useGuard({ mode: 'block' });
    await assert.rejects(client.embeddings.create({ model: 'emb-1', input: CANARY }), MimaAttestationError);
    const [span] = exporter.getFinishedSpans();
    assert.equal(span.attributes['mima.blocked'], true);
    assert.equal(span.attributes['gen_ai.operation.name'], 'embeddings');
    assert.equal(span.status.code, 2);
  });

  it('writes the JSONL record as well in report mode', async () => {
    useGuard({ mode: 'report' });
    nock(new URL(BASE_URL).origin).post('/v1/chat/completions').reply(200, chatCompletion());
    await client.chat.completions.create({ model: 'gpt-test', messages: userMessage });
    const [span] = exporter.getFinishedSpans();
    const [record] = await readRecords();
    assert.equal(record.id, span.attributes['mima.record_id']);
  });

  for (const major of OPENAI_MAJORS.filter(runsOnThisNode)) {
    it(`names the requested model on the span with openai ${major}, whose options may be a promise (7.59+)`, async () => {
      // openai 7.59 builds the request options inside a promise: gen_ai.request.model was missing
      // from every span. The span now ends once the SDK's options have resolved.
      const versioned = makeClient(loadOpenAI(major));
      useGuard({ mode: 'block' });
      await assert.rejects(
        versioned.chat.completions.create({ model: `gpt-v${major}`, messages: userMessage }),
        isGuardErrorOrCause,
      );
      await new Promise((resolve) => setImmediate(resolve));
      const span = exporter.getFinishedSpans().find((s) => s.name === 'mima.ai_call');
      assert.equal(span?.attributes['gen_ai.request.model'], `gpt-v${major}`);
      assert.ok(!JSON.stringify(span?.attributes).includes(CANARY));
    });
  }

  it('falls back to the JSONL file when the provider does not record (no-op provider)', async () => {
    useGuard({ mode: 'warn' }).setTracerProvider(trace.getTracerProvider());
    nock(new URL(BASE_URL).origin).post('/v1/chat/completions').reply(200, chatCompletion());
    try {
      await client.chat.completions.create({ model: 'gpt-test', messages: userMessage });
    } finally {
      useGuard().setTracerProvider(provider);
    }
    assert.equal(exporter.getFinishedSpans().length, 0);
    assert.equal((await readRecords()).length, 1);
  });
});
