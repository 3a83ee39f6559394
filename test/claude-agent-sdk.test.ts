import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { attest, MimaAttestationError } from '../src';
import { FIXTURES, runRegisteredApp } from './helpers/esm-app';
import { captureWarnings, isCallSite, readRecords, ROOT, useGuard } from './helpers/guard';
import { readLogRecords } from './helpers/log-lines';
import { isolateSdkTests } from './helpers/sdk-suite';
import { recordSpans } from './helpers/spans';

const WORKSPACE = path.join(ROOT, 'test', 'versions', 'claude-agent-sdk-0');
const PROMPT = 'CANARY-claude-agent-prompt';

type Query = AsyncIterable<unknown>;
interface SessionOptions {
  pathToClaudeCodeExecutable?: string;
  spawnClaudeCodeProcess?: () => never;
  model?: string;
}
interface ClaudeAgentSdk {
  query(params: { prompt: string; options?: SessionOptions }): Query;
  startup(params?: { options?: SessionOptions }): Promise<unknown>;
  prewarm(params?: { options?: SessionOptions }): Promise<unknown>;
}

/**
 * A Claude Code stand-in: started, it writes its pid to `marker` and exits 3, so no test ever
 * runs the real Claude Code (or reaches the network), and the marker tells whether a child ran.
 */
function fakeClaudeCode(dir: string): { executable: string; marker: string } {
  const marker = path.join(dir, 'started');
  const executable = path.join(dir, 'fake-claude.js');
  fs.writeFileSync(
    executable,
    `#!${process.execPath}\nrequire('fs').writeFileSync(${JSON.stringify(marker)}, String(process.pid));\nprocess.exit(3);\n`,
    { mode: 0o700 },
  );
  return { executable, marker };
}

/** Runs a session to its end; the fake's exit ends it with the SDK's own error. */
async function drain(query: Query): Promise<string> {
  try {
    for await (const message of query) void message;
    return 'ended';
  } catch (error) {
    return (error as Error).message;
  }
}

describe('@anthropic-ai/claude-agent-sdk 0.x (a CommonJS app: require() of the ES module)', () => {
  let sdk: ClaudeAgentSdk;
  let dir: string;
  let fake: { executable: string; marker: string };
  const options = () => ({ pathToClaudeCodeExecutable: fake.executable, model: 'claude-test-model' });

  before(() => {
    useGuard();
    sdk = require(
      require.resolve('@anthropic-ai/claude-agent-sdk', { paths: [WORKSPACE] }),
    ) as ClaudeAgentSdk;
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-claude-'));
    fake = fakeClaudeCode(dir);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  isolateSdkTests();

  it('block mode throws MimaAttestationError from query() before any child process is started', async () => {
    useGuard({ mode: 'block' });
    let spawnRequests = 0;
    const spawnClaudeCodeProcess = (): never => {
      spawnRequests++;
      throw new Error('the SDK asked for a child process');
    };
    assert.throws(
      () => sdk.query({ prompt: PROMPT, options: { ...options(), spawnClaudeCodeProcess } }),
      (error: unknown) => {
        assert.ok(error instanceof MimaAttestationError);
        assert.equal(error.callSite, 'claude-agent-sdk.query');
        assert.ok(!error.message.includes(PROMPT));
        return true;
      },
    );
    assert.throws(
      () => sdk.query({ prompt: PROMPT, options: options() }),
      isCallSite('claude-agent-sdk.query'),
    );
    const records = await readRecords();
    assert.deepEqual(
      records.map((r) => [r.call_site, r.blocked]),
      [
        ['claude-agent-sdk.query', true],
        ['claude-agent-sdk.query', true],
      ],
    );
    assert.equal(spawnRequests, 0, "the app's spawnClaudeCodeProcess was never asked for a process");
    assert.ok(!fs.existsSync(fake.marker), 'the fake Claude Code never ran');
    // The control: the same options, attested, do start it.
    await attest(() => drain(sdk.query({ prompt: PROMPT, options: options() })))();
    assert.ok(fs.existsSync(fake.marker));
  });

  it('block mode rejects startup() and prewarm(), which start Claude Code ahead of a prompt', async () => {
    useGuard({ mode: 'block' });
    await assert.rejects(sdk.startup({ options: options() }), isCallSite('claude-agent-sdk.startup'));
    await assert.rejects(sdk.prewarm({ options: options() }), isCallSite('claude-agent-sdk.prewarm'));
    assert.ok(!fs.existsSync(fake.marker), 'no process was started');
    assert.deepEqual(
      (await readRecords()).map((r) => r.call_site),
      ['claude-agent-sdk.startup', 'claude-agent-sdk.prewarm'],
    );
  });

  it('warn mode warns once, starts the session and records each query()', async () => {
    useGuard({ mode: 'warn' });
    const capture = captureWarnings();
    try {
      for (let i = 0; i < 2; i++) {
        assert.match(await drain(sdk.query({ prompt: PROMPT, options: options() })), /exited with code 3/);
      }
      await capture.settle();
    } finally {
      capture.stop();
    }
    assert.ok(fs.existsSync(fake.marker), 'the session ran');
    assert.equal(capture.warnings.length, 1, 'one warning for one (call site, location)');
    assert.match(capture.warnings[0].message, /claude-agent-sdk\.query/);
    assert.ok(!capture.warnings[0].message.includes(PROMPT));
    const records = await readRecords();
    assert.deepEqual(
      records.map((r) => [r.call_site, r.blocked]),
      [
        ['claude-agent-sdk.query', false],
        ['claude-agent-sdk.query', false],
      ],
    );
    assert.ok(
      records.every((r) => r.code_file?.includes('claude-agent-sdk.test')),
      'the caller is located',
    );
  });

  describe('mima.ai_call span', () => {
    const { exporter } = recordSpans({ mode: 'block' });

    it('carries anthropic, invoke_agent and the model the options name, never the prompt', async () => {
      assert.throws(() => sdk.query({ prompt: PROMPT, options: options() }), MimaAttestationError);
      assert.throws(
        () => sdk.query({ prompt: PROMPT, options: { pathToClaudeCodeExecutable: fake.executable } }),
        MimaAttestationError,
      );
      await new Promise((resolve) => setImmediate(resolve)); // records are finished after the call
      const spans = exporter.getFinishedSpans();
      assert.deepEqual(
        spans.map((s) => [
          s.attributes['mima.call_site'],
          s.attributes['gen_ai.provider.name'],
          s.attributes['gen_ai.operation.name'],
          s.attributes['gen_ai.request.model'],
        ]),
        [
          ['claude-agent-sdk.query', 'anthropic', 'invoke_agent', 'claude-test-model'],
          ['claude-agent-sdk.query', 'anthropic', 'invoke_agent', undefined],
        ],
      );
      assert.ok(!JSON.stringify(spans.map((s) => s.attributes)).includes(PROMPT));
    });
  });
});

describe('@anthropic-ai/claude-agent-sdk 0.x (an ES module app under register)', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-claude-esm-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("blocks query() of the entry and of './core', and startup(), before Claude Code starts", () => {
    const fake = fakeClaudeCode(dir);
    const logFile = path.join(dir, 'guard_log.jsonl');
    const output = runRegisteredApp(
      path.join(FIXTURES, 'claude-agent-sdk', 'app.mjs'),
      [WORKSPACE, fake.executable, fake.marker],
      { logFile, mode: 'block', quiet: true },
    );
    assert.deepEqual(JSON.parse(output), {
      query: 'MimaAttestationError:claude-agent-sdk.query',
      coreQuery: 'MimaAttestationError:claude-agent-sdk.query',
      startup: 'MimaAttestationError:claude-agent-sdk.startup',
      startedUnattested: false,
      startedAttested: true,
    });
    const records = readLogRecords(logFile);
    assert.deepEqual(
      records.map((r) => [r.call_site, r.blocked]),
      [
        ['claude-agent-sdk.query', true],
        ['claude-agent-sdk.query', true],
        ['claude-agent-sdk.startup', true],
      ],
    );
  });
});
