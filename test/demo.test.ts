import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { tempDir } from './helpers/temp-dir';

/** The compiled test lives in build/test. */
const ROOT = path.resolve(__dirname, '..', '..');

function runDemo(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    // The demo leaves its logs in the temp dir for a user to read: here, in one this test removes.
    const env = { ...process.env, TMPDIR: tempDir('mima-demo-test-') };
    const child = spawn(process.execPath, [path.join(ROOT, 'build', 'demo', 'demo.js')], { cwd: ROOT, env });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (output += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (output += text));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** The lines under one `== heading ==`, up to the next heading or the summary. */
function section(output: string, heading: RegExp): string {
  const start = output.split('\n').findIndex((line) => line.startsWith('== ') && heading.test(line));
  assert.ok(start >= 0, `no section matching ${heading} in:\n${output}`);
  const rest = output.split('\n').slice(start + 1);
  const end = rest.findIndex((line) => line.startsWith('== ') || line.startsWith('Summary:'));
  return rest.slice(0, end < 0 ? undefined : end).join('\n');
}

describe('npm run demo', function () {
  this.timeout(60_000);

  it('runs warn, block and report against the mock server, then a traced run, and exits 0', async () => {
    const { code, output } = await runDemo();
    assert.equal(code, 0, output);

    const warn = section(output, /^== warn mode:/);
    assert.match(warn, /attested call \(inside attest\(\)\): answered/);
    assert.match(warn, /warning MimaUnattestedCallWarning: Unattested AI call openai\.OpenAI\.chat/);
    assert.match(warn, /guard_log\.jsonl: 1 line/);

    const block = section(output, /^== block mode:/);
    assert.match(block, /caught MimaAttestationError/);
    assert.match(
      block,
      /mock server: 1 request \(attested: 1, unattested: 0\): the blocked call sent no request/,
    );
    assert.match(block, /"blocked":true/);

    const report = section(output, /^== report mode:/);
    assert.match(report, /no warning was emitted/);
    assert.match(report, /"mode":"report"/);

    const traced = section(output, /TracerProvider/);
    assert.match(traced, /span mima\.ai_call/);
    assert.match(traced, /mima\.call_site = "openai\.OpenAI\.chat"/);
    assert.match(traced, /guard_log\.jsonl: 1 line\(s\)/, 'the durable copy beside the span');

    assert.match(output, /not ~\/\.mima/);
    assert.match(output.trim().split('\n').at(-1) ?? '', /^Summary: OK/);
  });
});
