import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { startDaemon } from '../../src/command/daemon/server';
import { closedPortUrl, runChild } from '../helpers/child-app';
import { ROOT } from '../helpers/guard';
import type { Plan } from '../fixtures/durable/sdk-mix-app';
import { readLog, tempDir } from './helpers';

const APP = path.join(ROOT, 'build', 'test', 'fixtures', 'durable', 'sdk-mix-app.js');
const CLI = path.join(ROOT, 'build', 'src', 'command', 'cli.js');

/** Every patched SDK, as a CommonJS app loads it: @google/genai declares Node 22+. */
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
const SDKS = [
  'openai',
  'anthropic',
  'groq',
  'cohere',
  'bedrock',
  'ai',
  'litellm',
  'mistral',
  ...(NODE_MAJOR >= 22 ? ['google-genai'] : []),
];

interface Run {
  plan: Plan;
  mode: 'warn' | 'block' | 'report';
  daemon: boolean;
  failingSpans: boolean;
}

const runs: fc.Arbitrary<Run> = fc.record({
  plan: fc.record({
    calls: fc.array(fc.record({ sdk: fc.constantFrom(...SDKS), count: fc.integer({ min: 1, max: 3 }) }), {
      minLength: 1,
      maxLength: 3,
    }),
    ending: fc.constantFrom<Plan['ending']>('natural', 'exit', 'sigterm', 'worker'),
  }),
  mode: fc.constantFrom<Run['mode']>('warn', 'block', 'report'),
  daemon: fc.boolean(),
  failingSpans: fc.boolean(),
});

/** Every SDK and every ending at least once, whatever the random runs draw. */
const examples: Array<[Run]> = SDKS.map((sdk, i) => [
  {
    plan: { calls: [{ sdk, count: 2 }], ending: (['natural', 'exit', 'sigterm', 'worker'] as const)[i % 4] },
    mode: (['warn', 'block', 'report'] as const)[i % 3],
    daemon: i % 2 === 0,
    failingSpans: i % 3 !== 0,
  },
]);

/**
 * Issue "Never lose a record": N unattested calls, in any mix of SDKs and modes, with the daemon up
 * or down and a span exporter failing or not, ending by natural exit, process.exit(), SIGTERM or
 * worker termination, leave N records (unique ids) in durable storage (the JSONL file and the
 * daemon's log), and the report gate never passes on them.
 */
describe('durable by default, as a property over SDKs, modes, sinks and endings', function () {
  this.timeout(600_000);
  let base: string;

  before(async () => {
    // Every request fails at once: the records are made before any request.
    base = new URL(await closedPortUrl()).origin;
  });

  it('N unattested calls → N records in durable storage, and a non-zero gate', async () => {
    await fc.assert(
      fc.asyncProperty(runs, async (run) => {
        const dir = tempDir('mima-prop-');
        const logFile = path.join(dir, 'guard_log.jsonl');
        const daemonLog = path.join(dir, 'daemon_log.jsonl');
        const socketPath = path.join(dir, 'd.sock');
        const daemon = run.daemon ? await startDaemon({ socketPath, logFile: daemonLog }) : undefined;
        try {
          const child = await runChild(
            [APP, JSON.stringify(run.plan)],
            {
              HOME: dir,
              BASE: base,
              MIMA_GUARD_MODE: run.mode,
              MIMA_GUARD_LOG_FILE: logFile,
              MIMA_DAEMON_SOCKET: socketPath,
              FAILING_SPANS: run.failingSpans ? '1' : '0',
            },
            run.plan.ending === 'sigterm',
          );
          const expected = run.plan.calls.reduce((sum, c) => sum + c.count, 0);
          assert.match(child.stdout, new RegExp(`called ${expected}`), child.stderr);
          await daemon?.close();
          const ids = new Set(
            [...readLog(logFile).records, ...readLog(daemonLog).records].map((record) => record.id),
          );
          assert.equal(ids.size, expected, `records kept for ${JSON.stringify(run)}\n${child.stderr}`);
          const gate = spawnSync(
            process.execPath,
            [CLI, 'report', '--file', logFile, '--file', daemonLog, '--fail-on-unattested'],
            { encoding: 'utf8', env: { ...process.env, HOME: dir } },
          );
          assert.notEqual(gate.status, 0, 'the gate never passes on unattested calls');
        } finally {
          await daemon?.close();
          fs.rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 8, examples, seed: 20261203, endOnFailure: true },
    );
  });
});
