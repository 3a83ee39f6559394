import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MimaAttestationError } from '../src';
import { startProviderServer, type ProviderServer } from './helpers/ai-provider-server';
import { guardWarnings, runChild } from './helpers/child-app';
import { FIXTURES, runRegisteredApp } from './helpers/esm-app';
import { readRecords, ROOT, useGuard } from './helpers/guard';
import { readLogRecords } from './helpers/log-lines';
import { CANARY } from './helpers/openai';
import { isolateSdkTests } from './helpers/sdk-suite';
import { recordSpans } from './helpers/spans';

/** @mastra/core 1 declares Node >= 22.13. */
const [NODE_MAJOR, NODE_MINOR] = process.versions.node.split('.').map(Number);
const MASTRA_RUNS_HERE = NODE_MAJOR > 22 || (NODE_MAJOR === 22 && NODE_MINOR >= 13);
const WORKSPACE = path.join(ROOT, 'test', 'versions', 'mastra-1');

interface MastraAgent {
  generate(messages: string, options?: object): Promise<{ text: string }>;
  stream(messages: string, options?: object): Promise<{ textStream: AsyncIterable<string> }>;
}
type AgentClass = new (config: object) => MastraAgent;

async function callSites(): Promise<string[]> {
  return (await readRecords()).map((record) => record.call_site);
}

(MASTRA_RUNS_HERE ? describe : describe.skip)(
  `Mastra agents (@mastra/core 1.x)${MASTRA_RUNS_HERE ? '' : ' (skipped: needs Node 22.13+)'}`,
  () => {
    let server: ProviderServer;
    let Agent: AgentClass;
    /** An agent over a model object the app made with @ai-sdk/openai. */
    let withModel: MastraAgent;
    /** An agent over Mastra's model router: its own bundled provider copies send the request. */
    let withRouter: MastraAgent;
    let modelFor: (id: string) => object;

    before(async function () {
      this.timeout(120_000);
      server = await startProviderServer();
      useGuard();
      ({ Agent } = require(require.resolve('@mastra/core/agent', { paths: [WORKSPACE] })) as {
        Agent: AgentClass;
      });
      const { createOpenAI } = require(require.resolve('@ai-sdk/openai', { paths: [WORKSPACE] })) as {
        createOpenAI(options: object): { chat(id: string): object };
      };
      const openai = createOpenAI({ baseURL: `${server.baseURL}/v1`, apiKey: 'test-key' });
      modelFor = (id) => openai.chat(id);
      withModel = new Agent({
        id: 'a',
        name: 'a',
        instructions: 'Be brief.',
        model: openai.chat('gpt-test'),
      });
      withRouter = new Agent({
        id: 'b',
        name: 'b',
        instructions: 'Be brief.',
        model: { id: 'openai/gpt-test', url: `${server.baseURL}/v1`, apiKey: 'test-key' },
      });
    });
    beforeEach(() => server.reset());
    after(() => server.close());
    isolateSdkTests();

    it('exactly one record per agent call: the model, its provider and its requests are that call', async () => {
      useGuard({ mode: 'report' });
      assert.equal((await withModel.generate(CANARY)).text, 'hello');
      assert.equal((await withRouter.generate(CANARY)).text, 'hello');
      const streamed = await withModel.stream(CANARY);
      let text = '';
      for await (const chunk of streamed.textStream) text += chunk;
      assert.equal(text, 'streamed');
      assert.ok(server.total() >= 3);
      assert.deepEqual(await callSites(), [
        'mastra.Agent.generate',
        'mastra.Agent.generate',
        'mastra.Agent.stream',
      ]);
    });

    it('a tool of the agent that calls a model itself is a record of its own', async () => {
      useGuard({ mode: 'report' });
      const { createTool } = require(require.resolve('@mastra/core/tools', { paths: [WORKSPACE] })) as {
        createTool(config: object): object;
      };
      const { z } = require(require.resolve('zod', { paths: [WORKSPACE] })) as typeof import('zod');
      const { createAnthropic } = require(require.resolve('@ai-sdk/anthropic', { paths: [ROOT] })) as {
        createAnthropic(options: object): (id: string) => { doGenerate(options: object): Promise<unknown> };
      };
      const inner = createAnthropic({ baseURL: `${server.baseURL}/v1`, apiKey: 'test-key' })('claude-test');
      const lookup = createTool({
        id: 'lookup',
        description: 'looks up',
        inputSchema: z.object({}),
        execute: async () => {
          await inner.doGenerate({ prompt: [{ role: 'user', content: [{ type: 'text', text: CANARY }] }] });
          return 'found';
        },
      });
      const agent = new Agent({
        id: 't',
        name: 't',
        instructions: 'Use the tool.',
        model: modelFor('gpt-test'),
        tools: { lookup },
      });
      await agent.generate(CANARY, { maxSteps: 2 });
      assert.equal(server.requests.get('/v1/messages'), 1, 'the tool ran and its call went through');
      assert.deepEqual(await callSites(), ['mastra.Agent.generate', 'ai-sdk.anthropic.doGenerate']);
    });

    describe('spans', () => {
      const { exporter } = recordSpans();

      it('carry the provider and model of the agent’s model, never content', async () => {
        useGuard({ mode: 'block' });
        await assert.rejects(withModel.generate(CANARY), MimaAttestationError);
        await assert.rejects(withRouter.generate(CANARY), MimaAttestationError);
        const spans = exporter
          .getFinishedSpans()
          .filter((span) => span.name === 'mima.ai_call')
          .map((span) => span.attributes);
        assert.deepEqual(
          spans.map((a) => [
            a['mima.call_site'],
            a['gen_ai.provider.name'],
            a['gen_ai.operation.name'],
            a['gen_ai.request.model'],
          ]),
          [
            ['mastra.Agent.generate', 'openai', 'invoke_agent', 'gpt-test'],
            ['mastra.Agent.generate', 'openai', 'invoke_agent', 'gpt-test'],
          ],
        );
        assert.ok(!JSON.stringify(spans).includes(CANARY));
      });
    });

    it('an ES module app (node --import …/register) importing @mastra/core/agent: one blocked record per call', function () {
      this.timeout(120_000);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-mastra-'));
      try {
        const logFile = path.join(dir, 'guard_log.jsonl');
        const output = runRegisteredApp(path.join(FIXTURES, 'mastra', 'app.mjs'), [], {
          mode: 'block',
          logFile,
          quiet: true,
        });
        assert.deepEqual(JSON.parse(output), {
          attested: 'hello',
          generate: 'MimaAttestationError:mastra.Agent.generate',
          stream: 'MimaAttestationError:mastra.Agent.stream',
          requests: 1,
        });
        const records = readLogRecords(logFile);
        assert.deepEqual(
          records.map((r) => [r.call_site, r.blocked, path.basename(String(r.code_file))]),
          [
            ['mastra.Agent.generate', true, 'app.mjs'],
            ['mastra.Agent.stream', true, 'app.mjs'],
          ],
        );
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);

(MASTRA_RUNS_HERE ? describe : describe.skip)(
  `Mastra: the "no patch point" warning waits for the app's start-up${MASTRA_RUNS_HERE ? '' : ' (skipped: needs Node 22.13+)'}`,
  () => {
    const REGISTER = path.join(ROOT, 'build', 'src', 'register.js');
    const mastraEntry = (sub = '') =>
      JSON.stringify(require.resolve(`@mastra/core${sub}`, { paths: [WORKSPACE] }));

    async function warningsOf(code: string): Promise<string[]> {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-mastra-warn-'));
      try {
        const app = path.join(dir, 'app.js');
        fs.writeFileSync(app, code);
        const run = await runChild(['--require', REGISTER, app], { HOME: dir });
        assert.equal(run.code, 0, run.stderr);
        return guardWarnings(run.stderr, 'MIMA_GUARD_PATCH_POINT_MISSING');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }

    it('an app that loads @mastra/core, then @mastra/core/agent, gets no warning (its Agent is patched)', async () => {
      // Before, the entry's hook found no Agent in the entry and warned at once, though the app's
      // next line loaded the file that holds it: a false alarm on stderr for every Mastra app.
      const code = `require(${mastraEntry()});\nrequire(${mastraEntry('/agent')});\n`;
      assert.deepEqual(await warningsOf(code), []);
    });

    it('an app that never loads @mastra/core/agent is told its agents are not checked', async () => {
      const warnings = await warningsOf(`require(${mastraEntry()});\n`);
      assert.equal(warnings.length, 1, warnings.join('\n'));
      assert.match(warnings[0], /no patch point was found in @mastra\/core \S+; its calls are not checked/);
    });
  },
);
