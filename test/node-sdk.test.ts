import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from './helpers/guard';

describe('NodeSDK', () => {
  it('takes MimaGuardInstrumentation in its instrumentations and exports the mima.ai_call span', () => {
    const logFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mima-sdk-')), 'log.jsonl');
    const out = execFileSync(
      process.execPath,
      [path.join(ROOT, 'test', 'fixtures', 'node-sdk-app.js'), logFile],
      {
        cwd: ROOT,
        encoding: 'utf8',
        env: {
          ...process.env,
          OTEL_TRACES_EXPORTER: 'none',
          OTEL_METRICS_EXPORTER: 'none',
          OTEL_LOGS_EXPORTER: 'none',
        },
      },
    );
    assert.deepEqual(JSON.parse(out), [{ name: 'mima.ai_call', callSite: 'openai.OpenAI.chat' }]);
    // Durable by default: the span is telemetry; the JSONL file keeps the record.
    const lines = fs.readFileSync(logFile, 'utf8').trim().split('\n');
    assert.equal(lines.length, 1);
    assert.equal((JSON.parse(lines[0]) as { call_site: string }).call_site, 'openai.OpenAI.chat');
  });
});
