import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from './helpers/guard';
import { chatCompletion } from './helpers/openai';

const [major, minor] = process.versions.node.split('.').map(Number);
/** OpenTelemetry JS 3's SDK packages declare Node >= 22.15. */
const otel3Runs = major > 22 || (major === 22 && minor >= 15);

describe('OpenTelemetry JS 3 (API 1.10, sdk-node 0.30x)', () => {
  const maybe = otel3Runs ? it : it.skip;
  maybe(
    'an ES module app that registers its provider after the guard starts gets the mima.ai_call span',
    () => {
      // API 1.10 ships separate CommonJS and ES module builds, each with its own proxy provider: the
      // guard's tracer, taken at start-up from the CommonJS copy, stayed a no-op (0 spans).
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-otel3-'));
      try {
        const result = spawnSync(
          process.execPath,
          [
            '--import',
            path.join(ROOT, 'build', 'esm', 'register.mjs'),
            path.join(ROOT, 'test', 'versions', 'otel-3', 'esm-app.mjs'),
            JSON.stringify(chatCompletion()),
          ],
          {
            encoding: 'utf8',
            timeout: 60_000,
            env: {
              ...process.env,
              HOME: dir,
              MIMA_GUARD_MODE: 'report',
              MIMA_GUARD_LOG_FILE: path.join(dir, 'guard_log.jsonl'),
              OTEL_TRACES_EXPORTER: 'none',
              OTEL_METRICS_EXPORTER: 'none',
              OTEL_LOGS_EXPORTER: 'none',
            },
          },
        );
        assert.equal(result.status, 0, result.stderr);
        assert.deepEqual(JSON.parse(result.stdout), [
          { name: 'mima.ai_call', callSite: 'openai.OpenAI.chat', model: 'gpt-otel3' },
        ]);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
