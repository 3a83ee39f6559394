import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { attest } from '../src';
import { chatV2Reply, COHERE_ORIGIN, loadCohere, makeCohere } from './helpers/cohere';
import { FIXTURES } from './helpers/esm-app';
import { readRecords, ROOT, useGuard } from './helpers/guard';
import { readLogRecords } from './helpers/log-lines';
import {
  chatReply,
  loadMistral,
  makeMistral,
  MISTRAL_DIR,
  MISTRAL_MODEL,
  MISTRAL_ORIGIN,
} from './helpers/mistral';
import { countingReply } from './helpers/mock-http';
import { isolateSdkTests } from './helpers/sdk-suite';

/**
 * cohere-ai's and @mistralai/mistralai's patch points run after the SDK's own awaits, with no user
 * frame on the stack: the records name the caller's line because the clients' public methods note
 * it (src/app/sdks/noted-caller.ts). Each fixture marks its calls `// line:<name>`.
 */
const APPS = {
  cjs: {
    file: path.join(FIXTURES, 'code-location', 'calls.cjs'),
    flag: '--require',
    register: 'src/register.js',
  },
  esm: {
    file: path.join(FIXTURES, 'code-location', 'calls.mjs'),
    flag: '--import',
    register: 'esm/register.mjs',
  },
};

type Located = [callSite: string, file: string | null, line: number | null];

/** Runs the app in report mode; its records as [call site, code_file, code_line], sorted. */
function runApp(system: keyof typeof APPS): Located[] {
  const { file, flag, register } = APPS[system];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-code-location-'));
  try {
    const logFile = path.join(dir, 'records.jsonl');
    execFileSync(process.execPath, [flag, path.join(ROOT, 'build', register), file, MISTRAL_DIR], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, MIMA_GUARD_MODE: 'report', MIMA_GUARD_LOG_FILE: logFile },
    });
    return readLogRecords(logFile)
      .map((record): Located => [record.call_site, record.code_file, record.code_line])
      .sort();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Where the app marks `// line:<name>`, as a record names it. */
function marked(system: keyof typeof APPS, callSite: string, name: string): Located {
  const { file } = APPS[system];
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const index = lines.findIndex((line) => line.endsWith(`// line:${name}`));
  assert.ok(index >= 0, `no line marked ${name}`);
  return [callSite, path.relative(ROOT, file), index + 1];
}

for (const system of ['cjs', 'esm'] as const) {
  describe(`code location of cohere and mistral calls (${system} app, child process)`, function () {
    let records: Located[];
    before(function () {
      this.timeout(60000);
      records = runApp(system);
    });

    it("cohere-ai: each record names the app's file and the call's line", () => {
      assert.deepEqual(
        records.filter(([site]) => site.startsWith('cohere.')),
        [
          marked(system, 'cohere.CohereClient.chat', 'cohere-v1-chat'),
          marked(system, 'cohere.CohereClient.models', 'cohere-models-list'),
          marked(system, 'cohere.CohereClientV2.chat', 'cohere-v2-chat'),
          marked(system, 'cohere.CohereClientV2.chat', 'cohere-concurrent'),
        ].sort(),
      );
    });

    it("@mistralai/mistralai: each record names the app's file and the call's line", () => {
      assert.deepEqual(
        records.filter(([site]) => site.startsWith('mistral.')),
        [
          marked(system, 'mistral.Mistral.chat', 'mistral-chat'),
          marked(system, 'mistral.Mistral.chat', 'mistral-concurrent'),
          marked(system, 'mistral.Mistral.embeddings', 'mistral-embeddings'),
        ].sort(),
      );
    });
  });
}

describe('code location of cohere and mistral calls: attested calls capture nothing', () => {
  isolateSdkTests();

  /** How many stacks `call` captured (the guard captures with Error.captureStackTrace). */
  async function captures(call: () => Promise<unknown>): Promise<number> {
    const capture = Error.captureStackTrace;
    let count = 0;
    Error.captureStackTrace = function (...args: Parameters<typeof capture>) {
      count++;
      return capture.apply(this, args);
    };
    try {
      await call();
    } finally {
      Error.captureStackTrace = capture;
    }
    return count;
  }

  it('notes no caller for attested calls, and one for an unattested call, in process', async () => {
    const { v2 } = makeCohere(loadCohere());
    const mistral = makeMistral(loadMistral());
    useGuard({ mode: 'report' });
    countingReply(COHERE_ORIGIN, '/v2/chat', () => chatV2Reply(), { times: 2 });
    countingReply(MISTRAL_ORIGIN, '/v1/chat/completions', () => chatReply(), { times: 2 });
    const cohereCall = () => v2.chat({ model: 'command-a', messages: [{ role: 'user', content: 'hi' }] });
    const mistralCall = () =>
      mistral.chat.complete({ model: MISTRAL_MODEL, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(await captures(attest(cohereCall)), 0, 'attested cohere call');
    assert.equal(await captures(attest(mistralCall)), 0, 'attested mistral call');
    assert.equal(
      await captures(cohereCall),
      1,
      'unattested cohere call: noted once, not again at the fetcher',
    );
    assert.equal(await captures(mistralCall), 1, 'unattested mistral call');
    const records = await readRecords();
    assert.deepEqual(
      records.map((record) => [record.call_site, record.code_file]),
      [
        ['cohere.CohereClientV2.chat', path.join('build', 'test', 'code-location.test.js')],
        ['mistral.Mistral.chat', path.join('build', 'test', 'code-location.test.js')],
      ],
    );
  });
});
