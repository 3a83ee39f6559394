import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { attest, getGuardStatus, MimaAttestationError } from '../../src';
import { CANARY } from '../helpers/openai';
import type { DetectionRecord, Mode } from '../../src/app/types';
import type { MockServer } from './mock-server';
import type { ConformanceRow, RowContext } from './row';

/** What the contract's cases share inside one child process. */
export interface ContractEnv {
  row: ConformanceRow;
  ctx: RowContext;
  client: unknown;
  server: MockServer;
  /** What reached the far side so far: the mock server's count, or the row's own (row.requests). */
  requests(): number;
  logFile: string;
  spans: InMemorySpanExporter;
  /** MimaUnattestedCallWarning messages since the last case began. */
  warnings: string[];
  /** Every guard error message seen, for the content check. */
  errors: string[];
  setMode(mode: Mode): void;
  records(): Promise<DetectionRecord[]>;
}

export interface ContractCase {
  name: string;
  /** Returns a reason when the case does not apply to this copy (a helper it does not ship). */
  run(env: ContractEnv): Promise<void | { skipped: string }>;
}

/** The guard's error, or an SDK helper's error that wraps it as its cause. */
function isGuardError(error: unknown): boolean {
  const cause = (error as { cause?: unknown } | null)?.cause;
  return error instanceof MimaAttestationError || cause instanceof MimaAttestationError;
}

/** Runs `fn` with the far side's count checked: how many requests (or child processes) it saw meanwhile. */
async function counted<T>(env: ContractEnv, fn: () => Promise<T>): Promise<[T, number]> {
  const before = env.requests();
  const result = await fn();
  return [result, env.requests() - before];
}

async function assertBlocked(env: ContractEnv, fn: () => Promise<unknown>, callSite: string): Promise<void> {
  env.setMode('block');
  const [, sent] = await counted(env, () =>
    assert.rejects(fn(), (error: unknown) => {
      assert.ok(isGuardError(error), `the guard's MimaAttestationError, not ${String(error)}`);
      const guardError = (
        error instanceof MimaAttestationError ? error : (error as Error).cause
      ) as MimaAttestationError;
      env.errors.push(guardError.message);
      assert.equal(guardError.callSite, callSite);
      return true;
    }),
  );
  assert.equal(sent, 0, 'no request reached the server');
  const records = await env.records();
  assert.deepEqual(
    records.map((r) => [r.call_site, r.blocked, r.mode]),
    [[callSite, true, 'block']],
  );
}

async function assertAttested(env: ContractEnv, fn: () => Promise<string>): Promise<void> {
  env.setMode('block');
  const [text, sent] = await counted(env, () => attest(fn)());
  assert.equal(text, 'hello', 'the SDK returned the reply');
  assert.ok(sent >= 1, 'the request reached the server');
  assert.deepEqual(await env.records(), [], 'nothing recorded');
  assert.equal(env.warnings.length, 0, 'no warning');
}

function guardSpans(env: ContractEnv) {
  return env.spans.getFinishedSpans().filter((span) => span.name === 'mima.ai_call');
}

export function contractCases(row: ConformanceRow): ContractCase[] {
  const { expect } = row;
  const streamSite = expect.streamCallSite ?? expect.callSite;
  const call = (env: ContractEnv) => row.call(env.client, env.ctx);
  const stream = (env: ContractEnv) => row.stream(env.client, env.ctx);
  return [
    {
      name: 'is patched, with no guard warning (version in range, patch point found)',
      async run() {
        // Per SDK, not the process's warnings: litellm loads its own old @anthropic-ai/sdk, which warns on its own.
        const sdk = getGuardStatus().sdks.find((s) => s.module === row.module)!;
        const problems = sdk.patches.filter((p) => p.problem).map((p) => p.problem!);
        const known = expect.knownWarning;
        assert.deepEqual(
          known ? problems.map((p) => known.test(p)) : problems,
          known ? [true] : [],
          known ? `the known warning ${known}, and only it: ${problems}` : 'no MimaGuardWarning for this SDK',
        );
        assert.ok(
          sdk.patches.some((p) => p.active),
          `an active patch: ${JSON.stringify(sdk.patches)}`,
        );
      },
    },
    {
      name: 'an attested call goes through untouched, nothing recorded',
      run: (env) => assertAttested(env, () => call(env)),
    },
    {
      name: 'an attested streaming call streams, nothing recorded',
      run: (env) => assertAttested(env, () => stream(env)),
    },
    {
      name: 'warn: an unattested call warns once, goes through and is recorded',
      async run(env) {
        env.setMode('warn');
        const [text, sent] = await counted(env, () => call(env));
        assert.equal(text, 'hello');
        assert.ok(sent >= 1);
        await new Promise((resolve) => setImmediate(resolve));
        assert.equal(env.warnings.length, 1, 'one MimaUnattestedCallWarning');
        assert.ok(env.warnings[0].includes(expect.callSite), env.warnings[0]);
        const records = await env.records();
        assert.deepEqual(
          records.map((r) => [r.call_site, r.blocked, r.mode]),
          [[expect.callSite, false, 'warn']],
        );
      },
    },
    {
      name: 'block: an unattested call fails with MimaAttestationError before any byte reaches the server',
      run: (env) => assertBlocked(env, () => call(env), expect.callSite),
    },
    {
      name: 'block: an unattested streaming call fails before any byte reaches the server',
      run: (env) => assertBlocked(env, () => stream(env), streamSite),
    },
    {
      name: 'report: silent; the JSONL record and the mima.ai_call span name call site, provider, operation, model',
      async run(env) {
        env.setMode('report');
        env.spans.reset();
        const [text] = await counted(env, () => call(env));
        assert.equal(text, 'hello');
        const [record, ...more] = await env.records();
        assert.equal(more.length, 0, 'one record');
        assert.equal(record.call_site, expect.callSite);
        assert.equal(record.attested, false);
        assert.ok(record.code_file?.includes('conformance'), `code_file ${record.code_file}`);
        assert.ok(Number.isInteger(record.code_line));
        // openai 7.59 reads the model once its request options resolve; the span ends then.
        await new Promise((resolve) => setTimeout(resolve, 20));
        const [span] = guardSpans(env);
        assert.ok(span, 'a mima.ai_call span');
        assert.deepEqual(
          [
            span.attributes['mima.call_site'],
            span.attributes['gen_ai.provider.name'],
            span.attributes['gen_ai.operation.name'],
            span.attributes['gen_ai.request.model'],
          ],
          [expect.callSite, expect.provider, expect.operation, expect.model],
        );
        assert.equal(env.warnings.length, 0, 'report mode is silent');
      },
    },
    {
      name: 'report: an unattested streaming call streams and is recorded',
      async run(env) {
        env.setMode('report');
        assert.equal(await stream(env), 'hello');
        const records = await env.records();
        assert.deepEqual(
          records.map((r) => r.call_site),
          [streamSite],
        );
      },
    },
    ...row.helpers.map((helper): ContractCase => ({
      name: `the SDK's own ${helper.name} keeps working${helper.attestedOnly ? '' : ', and is blocked unattested'}`,
      async run(env) {
        if (helper.available?.(env.client, env.ctx) === false) {
          return { skipped: `${env.row.module} ${env.ctx.version} has no ${helper.name}` };
        }
        await assertAttested(env, () => helper.run(env.client, env.ctx));
        if (helper.attestedOnly) return;
        env.setMode('block');
        const [, sent] = await counted(env, () =>
          assert.rejects(helper.run(env.client, env.ctx), (error) => isGuardError(error)),
        );
        assert.equal(sent, 0, 'no request reached the server');
        assert.equal((await env.records()).length, 1, 'one record');
      },
    })),
    {
      name: 'no prompt text in any record, span, warning or error',
      async run(env) {
        const spans = JSON.stringify(env.spans.getFinishedSpans().map((s) => [s.name, s.attributes]));
        const seen = [
          fs.existsSync(env.logFile) ? fs.readFileSync(env.logFile, 'utf8') : '',
          spans,
          ...env.errors,
        ];
        assert.ok(env.errors.length > 0, 'the blocked calls were seen');
        for (const text of seen)
          assert.ok(!text.includes(CANARY), `prompt text leaked: ${text.slice(0, 200)}`);
      },
    },
  ];
}
