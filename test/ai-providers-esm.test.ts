import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Mode } from '../src/app/types';
import { AI_7_RUNS_HERE } from './helpers/ai';
import { FIXTURES, runRegisteredApp } from './helpers/esm-app';
import { parseLogRecords } from './helpers/log-lines';
import { CANARY } from './helpers/openai';

/** Runs test/fixtures/ai/providers-app.mjs under `node --import …/register`; see that file. */
function runProvidersApp(major: 6 | 7, mode: Mode) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-ai-providers-'));
  try {
    const logFile = path.join(dir, 'guard_log.jsonl');
    const output = runRegisteredApp(path.join(FIXTURES, 'ai', 'providers-app.mjs'), [], {
      mode,
      logFile,
      imports: major === 7 ? [path.join(FIXTURES, 'ai', 'use-ai-7.mjs')] : [],
      quiet: true,
    });
    const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
    assert.ok(!output.includes(CANARY) && !log.includes(CANARY), 'no content in output or records');
    const records = parseLogRecords(log);
    return { result: JSON.parse(output) as Record<string, unknown>, records };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const DIRECT_CALLS = [
  'ai-sdk.openai.doGenerate',
  'ai-sdk.openai.doStream',
  'ai-sdk.anthropic.doGenerate',
  'ai-sdk.google.doGenerate',
  'ai.generateText',
];

for (const major of [6, 7] as const) {
  const runsHere = major === 6 || AI_7_RUNS_HERE;
  (runsHere ? describe : describe.skip)(
    `AI SDK providers (ai ${major}) imported in an ES module app (node --import …/register)`,
    () => {
      it('block mode: every direct model call and the ai call are blocked, one record each, nothing sent', () => {
        const { result, records } = runProvidersApp(major, 'block');
        assert.deepEqual(result, {
          attested: 'sent',
          openai: 'MimaAttestationError:ai-sdk.openai.doGenerate',
          openaiStream: 'MimaAttestationError:ai-sdk.openai.doStream',
          anthropic: 'MimaAttestationError:ai-sdk.anthropic.doGenerate',
          google: 'MimaAttestationError:ai-sdk.google.doGenerate',
          generateText: 'MimaAttestationError:ai.generateText',
          requests: 1,
        });
        assert.deepEqual(
          records.map((r) => [r.call_site, r.blocked, path.basename(String(r.code_file))]),
          DIRECT_CALLS.map((site) => [site, true, 'providers-app.mjs']),
        );
      });

      it('report mode: the calls go through, one record each', () => {
        const { result, records } = runProvidersApp(major, 'report');
        assert.equal(result.requests, 6);
        assert.deepEqual(
          records.map((r) => r.call_site),
          DIRECT_CALLS,
        );
      });
    },
  );
}
