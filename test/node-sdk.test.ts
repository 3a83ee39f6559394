import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { ROOT } from './helpers/guard';
import { readLogRecords } from './helpers/log-lines';
import { tempDir as makeTempDir } from './helpers/temp-dir';

describe('NodeSDK', () => {
  it('takes MimaGuardInstrumentation in its instrumentations and exports the mima.ai_call span', () => {
    const logFile = path.join(makeTempDir('mima-sdk-'), 'log.jsonl');
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
    const records = readLogRecords(logFile);
    assert.equal(records.length, 1);
    assert.equal(records[0].call_site, 'openai.OpenAI.chat');
  });
});
