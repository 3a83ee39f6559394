import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import nock from 'nock';
import { context, createNoopMeter, metrics } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type MetricReader,
} from '@opentelemetry/sdk-metrics';
import { attest, disableGuard, MimaGovernance } from '../src';
import { countingCalls } from '../src/app/coverage/call-counts';
import type { CoverageLine } from '../src/app/coverage/summary-line';
import { ROOT, useGuard } from './helpers/guard';
import { readLogRecords } from './helpers/log-lines';
import { countingReply } from './helpers/mock-http';
import { BASE_URL, chatCompletion, loadOpenAI, makeClient, userMessage } from './helpers/openai';
import { loadLitellm } from './helpers/litellm';
import { tempDir as makeTempDir } from './helpers/temp-dir';

const HOST = new URL(BASE_URL).origin;
const CLI = path.join(ROOT, 'build', 'src', 'command', 'cli.js');

const mockChat = (times: number) =>
  countingReply(HOST, '/v1/chat/completions', () => chatCompletion(), { times });

/** mima.guard.calls data points as "call_site attested=value" → count. */
async function callCounts(reader: MetricReader): Promise<Record<string, number>> {
  const { resourceMetrics } = await reader.collect();
  const counts: Record<string, number> = {};
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      if (metric.descriptor.name !== 'mima.guard.calls') continue;
      assert.equal(metric.descriptor.unit, '{call}');
      for (const point of metric.dataPoints) {
        const key = `${String(point.attributes['mima.call_site'])} attested=${String(point.attributes['mima.attested'])}`;
        counts[key] = point.value as number;
      }
    }
  }
  return counts;
}

const readLines = (file: string) => readLogRecords<Record<string, unknown>>(file, { missing: 'empty' });

describe('attestation coverage', () => {
  const openai = makeClient(loadOpenAI(6));
  const litellm = loadLitellm();

  before(() => context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable()));
  after(async () => {
    context.disable();
    nock.cleanAll();
    useGuard().setMeterProvider(metrics.getMeterProvider());
    await disableGuard();
    useGuard();
  });

  describe('the mima.guard.calls metric', () => {
    let reader: PeriodicExportingMetricReader;
    let provider: MeterProvider;

    beforeEach(() => {
      reader = new PeriodicExportingMetricReader({
        exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
        exportIntervalMillis: 60_000,
      });
      provider = new MeterProvider({ readers: [reader] });
      useGuard({ mode: 'report' }).setMeterProvider(provider);
    });
    afterEach(async () => {
      useGuard().setMeterProvider(metrics.getMeterProvider());
      await provider.shutdown();
    });

    it('counts every patched call, attested or not, by call site', async () => {
      const seen = mockChat(4);
      await attest(async () => {
        await openai.chat.completions.create({ model: 'gpt-test', messages: userMessage });
        await openai.chat.completions.create({ model: 'gpt-test', messages: userMessage });
      })();
      await openai.chat.completions.create({ model: 'gpt-test', messages: userMessage });
      const wrapped = new MimaGovernance({ systemName: 'coverage-test' }).wrap(makeClient(loadOpenAI(6)));
      await wrapped.chat.completions.create({ model: 'gpt-test', messages: userMessage });
      assert.equal(seen.requests, 4);
      assert.deepEqual(await callCounts(reader), {
        'openai.OpenAI.chat attested=true': 3,
        'openai.OpenAI.chat attested=false': 1,
      });
    });

    it('counts an SDK built on another patched SDK once: an attested litellm completion is not also an openai call', async () => {
      const seen = mockChat(2);
      const params = { model: 'gpt-4o-mini', messages: userMessage, baseUrl: BASE_URL, apiKey: 'test-key' };
      await attest(() => litellm.completion(params))();
      await litellm.completion(params);
      assert.equal(seen.requests, 2, 'both went through litellm’s openai client');
      assert.deepEqual(await callCounts(reader), {
        'litellm.completion attested=true': 1,
        'litellm.completion attested=false': 1,
      });
    });

    it('stops counting without a MeterProvider: the attested path then does not even name the call', () => {
      assert.equal(countingCalls, true);
      useGuard().setMeterProvider(metrics.getMeterProvider());
      assert.equal(
        metrics.getMeterProvider().getMeter('x'),
        createNoopMeter(),
        'no global MeterProvider here',
      );
      assert.equal(countingCalls, false);
    });
  });

  describe('the JSONL coverage summary line', () => {
    let dir: string;
    let logFile: string;

    beforeEach(() => {
      dir = makeTempDir('mima-coverage-');
      logFile = path.join(dir, 'guard_log.jsonl');
    });

    it('is off by default: no counting, no summary line', async () => {
      useGuard({ mode: 'report', logFile });
      assert.equal(countingCalls, false);
      const seen = mockChat(1);
      await attest(() => openai.chat.completions.create({ model: 'gpt-test', messages: userMessage }))();
      assert.equal(seen.requests, 1);
      await disableGuard();
      assert.deepEqual(readLines(logFile), []);
    });

    it('writes attested and unattested counts per call site every interval, and the last interval on disable', async () => {
      useGuard({ mode: 'report', logFile, coverageSummaryIntervalMs: 200 });
      const seen = mockChat(3);
      await attest(() => openai.chat.completions.create({ model: 'gpt-test', messages: userMessage }))();
      await openai.chat.completions.create({ model: 'gpt-test', messages: userMessage });
      const deadline = Date.now() + 10_000;
      while (!readLines(logFile).some((line) => line.type === 'coverage')) {
        assert.ok(Date.now() < deadline, 'a summary line within the deadline');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await attest(() => openai.chat.completions.create({ model: 'gpt-test', messages: userMessage }))();
      assert.equal(seen.requests, 3);
      await disableGuard();

      const lines = readLines(logFile);
      const summaries = lines.filter((line) => line.type === 'coverage') as unknown as CoverageLine[];
      assert.equal(summaries.length, 2, 'one for the first interval, one written by disable');
      assert.deepEqual(summaries[0].calls, [{ call_site: 'openai.OpenAI.chat', attested: 1, unattested: 1 }]);
      assert.deepEqual(summaries[1].calls, [{ call_site: 'openai.OpenAI.chat', attested: 1, unattested: 0 }]);
      assert.equal(summaries[1].since, summaries[0].ts, 'intervals follow each other');
      assert.equal(summaries[0].pid, process.pid);
      assert.equal(lines.filter((line) => line.type === undefined).length, 1, 'one unattested record');

      const report = JSON.parse(
        execFileSync(process.execPath, [CLI, 'report', '--file', logFile, '--json'], { encoding: 'utf8' }),
      ) as { unattested: number; malformed: number; coverage: unknown };
      assert.equal(report.malformed, 0, 'the report knows the summary lines');
      assert.equal(report.unattested, 1);
      assert.deepEqual(report.coverage, {
        attested: 2,
        unattested: 1,
        call_sites: [{ call_site: 'openai.OpenAI.chat', attested: 2, unattested: 1 }],
      });
    });

    it('writes the last interval at process exit', () => {
      const app = path.join(ROOT, 'build', 'test', 'fixtures', 'coverage', 'exit-app.js');
      execFileSync(process.execPath, [app, logFile], { stdio: 'inherit', timeout: 20_000 });
      const summaries = readLines(logFile).filter(
        (line) => line.type === 'coverage',
      ) as unknown as CoverageLine[];
      assert.deepEqual(
        summaries.map((s) => s.calls),
        [[{ call_site: 'openai.OpenAI.chat', attested: 2, unattested: 0 }]],
      );
    });

    it('rejects a bad interval naming the value and what is accepted', () => {
      assert.throws(
        () => useGuard({ coverageSummaryIntervalMs: -1 }),
        /coverageSummaryIntervalMs must be an integer >= 0; got number -1/,
      );
      assert.throws(
        () => useGuard({ coverageSummaryIntervalMs: '5s' as unknown as number }),
        /coverageSummaryIntervalMs must be an integer >= 0; got "5s"/,
      );
    });
  });
});
