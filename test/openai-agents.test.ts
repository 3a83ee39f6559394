import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { attest, MimaAttestationError } from '../src';
import { LOG_FILE, readRecords, ROOT, useGuard } from './helpers/guard';
import { CANARY } from './helpers/openai';
import { isolateSdkTests } from './helpers/sdk-suite';
import * as fs from 'node:fs';

const WORKSPACE = path.join(ROOT, 'test', 'versions', 'openai-agents-0');
const TRACE_PATH = '/v1/traces/ingest';

/** The slice of @openai/agents the tests use (its own types need a newer module resolution). */
interface AgentsModule {
  Agent: new (config: object) => object;
  run(agent: object, input: string): Promise<{ finalOutput?: unknown }>;
  tool(config: object): object;
  setDefaultOpenAIClient(client: object): void;
  setTraceProcessors(processors: object[]): void;
  BatchTraceProcessor: new (exporter: object) => object;
  OpenAITracingExporter: new (options: object) => object;
  getGlobalTraceProvider(): { forceFlush(): Promise<void> };
}

/** Responses API replies: a tool call first when the agent has a tool, then a message. */
function responseBody(turn: number, withTool: boolean): string {
  const output =
    withTool && turn === 1
      ? [
          {
            type: 'function_call',
            id: 'fc_1',
            call_id: 'call_1',
            name: 'lookup',
            arguments: '{}',
            status: 'completed',
          },
        ]
      : [
          {
            type: 'message',
            id: `msg_${turn}`,
            status: 'completed',
            role: 'assistant',
            content: [{ type: 'output_text', text: 'done', annotations: [] }],
          },
        ];
  return JSON.stringify({
    id: `resp_${turn}`,
    object: 'response',
    created_at: 1,
    status: 'completed',
    model: 'gpt-test',
    output,
    usage: {
      input_tokens: 1,
      output_tokens: 1,
      total_tokens: 2,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens_details: { reasoning_tokens: 0 },
    },
  });
}

/**
 * A local stand-in for api.openai.com: the Responses API and the trace ingest, counting each
 * path's requests. The guard lists its authority as an AI host, so the network backstop
 * watches it as it watches api.openai.com.
 */
function startOpenAIStandIn() {
  const requests: Record<string, number> = {};
  let turn = 0;
  let withTool = false;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const url = req.url ?? '';
      requests[url] = (requests[url] ?? 0) + 1;
      if (url === TRACE_PATH) {
        res.writeHead(204).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(responseBody(++turn, withTool));
    });
  });
  return {
    requests,
    server,
    /** The next run's replies: a tool call first or not. */
    reset(tool: boolean) {
      turn = 0;
      withTool = tool;
      for (const key of Object.keys(requests)) delete requests[key];
    },
    authority: () => `127.0.0.1:${(server.address() as AddressInfo).port}`,
  };
}

describe('@openai/agents 0.x over the openai 7 client', () => {
  const standIn = startOpenAIStandIn();
  let agents: AgentsModule;
  let agentWithTool: object;
  let plainAgent: object;
  let toolRuns = 0;

  before(async () => {
    await new Promise<void>((resolve) => standIn.server.listen(0, '127.0.0.1', resolve));
    useGuard({ mode: 'report', networkHosts: [standIn.authority()] });
    agents = require(require.resolve('@openai/agents', { paths: [WORKSPACE] })) as AgentsModule;
    // The openai copy the agents SDK itself depends on (7.x), loaded after the guard's hooks.
    const agentsOpenAI = path.dirname(require.resolve('@openai/agents-openai', { paths: [WORKSPACE] }));
    const { OpenAI } = require(require.resolve('openai', { paths: [agentsOpenAI] })) as {
      OpenAI: new (options: object) => object;
    };
    const baseURL = `http://${standIn.authority()}/v1`;
    agents.setDefaultOpenAIClient(new OpenAI({ apiKey: 'test-key', baseURL, maxRetries: 0 }));
    // The default exporter posts to api.openai.com: the same exporter, pointed at the stand-in.
    agents.setTraceProcessors([
      new agents.BatchTraceProcessor(
        new agents.OpenAITracingExporter({
          apiKey: 'test-key',
          endpoint: `http://${standIn.authority()}${TRACE_PATH}`,
        }),
      ),
    ]);
    const { z } = require(require.resolve('zod', { paths: [WORKSPACE] })) as typeof import('zod');
    const lookup = agents.tool({
      name: 'lookup',
      description: 'looks something up',
      parameters: z.object({}),
      execute: async () => {
        toolRuns++;
        return 'noon';
      },
    });
    agentWithTool = new agents.Agent({
      name: 'helper',
      instructions: 'be brief',
      model: 'gpt-test',
      tools: [lookup],
    });
    plainAgent = new agents.Agent({ name: 'plain', instructions: 'be brief', model: 'gpt-test' });
  });
  beforeEach(() => {
    toolRuns = 0;
  });
  after(async () => {
    agents.setTraceProcessors([]);
    standIn.server.closeAllConnections();
    await new Promise((resolve) => standIn.server.close(resolve));
  });

  isolateSdkTests();

  /** Uploads the run's traces now, outside any attested scope, as the processor's timer would. */
  const uploadTraces = () => agents.getGlobalTraceProvider().forceFlush();

  it('reports each model call of an unattested run through the openai patch, and not its trace upload', async () => {
    useGuard({ mode: 'report', networkHosts: [standIn.authority()] });
    standIn.reset(true);
    const result = await agents.run(agentWithTool, CANARY);
    await uploadTraces();
    assert.equal(result.finalOutput, 'done');
    assert.equal(toolRuns, 1);
    assert.deepEqual(
      standIn.requests,
      { '/v1/responses': 2, [TRACE_PATH]: 1 },
      'two model calls, one upload',
    );
    const records = await readRecords();
    assert.deepEqual(
      records.map((r) => r.call_site),
      ['openai.OpenAI.responses', 'openai.OpenAI.responses'],
      'one record per model call; no net.* record for the trace upload',
    );
    assert.ok(
      records.every((r) => r.code_file?.includes('openai-agents.test')),
      'located at the run() call',
    );
    assert.ok(!fs.readFileSync(LOG_FILE, 'utf8').includes(CANARY));
  });

  it('lets an attested run and its trace upload through and records nothing', async () => {
    useGuard({ mode: 'block', networkHosts: [standIn.authority()] });
    standIn.reset(false);
    const result = await attest(() => agents.run(plainAgent, CANARY))();
    await uploadTraces();
    assert.equal(result.finalOutput, 'done');
    assert.deepEqual(standIn.requests, { '/v1/responses': 1, [TRACE_PATH]: 1 });
    assert.deepEqual(await readRecords(), []);
  });

  it('block mode fails an unattested run before its model request; the trace upload is still not reported', async () => {
    useGuard({ mode: 'block', networkHosts: [standIn.authority()] });
    standIn.reset(false);
    await assert.rejects(agents.run(plainAgent, CANARY), (error: unknown) => {
      const guardError = error instanceof MimaAttestationError ? error : (error as Error).cause;
      assert.ok(
        guardError instanceof MimaAttestationError,
        'the guard error, or the cause of the SDK wrapper',
      );
      assert.equal(guardError.callSite, 'openai.OpenAI.responses');
      return true;
    });
    await uploadTraces();
    assert.equal(standIn.requests['/v1/responses'], undefined, 'no model request left');
    assert.deepEqual(
      (await readRecords()).map((r) => [r.call_site, r.blocked]),
      [['openai.OpenAI.responses', true]],
    );
  });

  it('the backstop still reports a raw model request to the host, by fetch and by http, but not a trace upload', async () => {
    useGuard({ mode: 'report', networkHosts: [standIn.authority()] });
    standIn.reset(false);
    const base = `http://${standIn.authority()}`;
    await (await fetch(`${base}${TRACE_PATH}`, { method: 'POST', body: '{}' })).arrayBuffer();
    await (await fetch(`${base}${TRACE_PATH}?project=p`, { method: 'POST', body: '{}' })).arrayBuffer();
    await httpPost(`${base}${TRACE_PATH}`);
    await (await fetch(`${base}/v1/responses`, { method: 'POST', body: '{}' })).arrayBuffer();
    await httpPost(`${base}/v1/responses`);
    assert.deepEqual(
      (await readRecords()).map((r) => r.call_site),
      ['net.127.0.0.1', 'net.127.0.0.1'],
      'the two model requests only',
    );
  });
});

function httpPost(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST' }, (response) => {
      response.resume();
      response.on('end', resolve);
    });
    request.on('error', reject);
    request.end('{}');
  });
}
