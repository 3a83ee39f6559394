import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { JsonlFileSink } from '../src/sinks/jsonl-sink';
import type { DetectionRecord } from '../src/types';
import { captureDiag } from './helpers/diag';
import { ROOT } from './helpers/guard';

function record(i: number): DetectionRecord {
  return {
    ts: new Date(0).toISOString(),
    call_site: 'openai.OpenAI.chat',
    attested: false,
    mode: 'report',
    blocked: false,
    code_file: 'app.js',
    code_line: i,
    workspace_id: null,
    pid: process.pid,
    id: `id-${i}`,
  };
}

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'mima-jsonl-'));
const lines = (file: string) => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);

describe('JSONL file sink', () => {
  it('creates its directory 0700 and its file 0600', async () => {
    const file = path.join(tempDir(), 'nested', 'guard_log.jsonl');
    const sink = new JsonlFileSink(file);
    sink.write(record(1));
    await sink.close();
    assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(
      lines(file).map((l) => JSON.parse(l).id),
      ['id-1'],
    );
  });

  it('does no I/O in write(): the batch lands after the current tick', async () => {
    const file = path.join(tempDir(), 'log.jsonl');
    const sink = new JsonlFileSink(file);
    for (let i = 0; i < 100; i++) assert.equal(sink.write(record(i)), true);
    assert.equal(fs.existsSync(file), false, 'nothing written synchronously');
    await sink.flush();
    assert.equal(lines(file).length, 100);
    await sink.close();
    assert.equal(
      sink.write(record(101)),
      false,
      'a closed sink takes nothing, so the chain can fall through',
    );
  });

  it('writes what is still queued when the process exits', () => {
    const file = path.join(tempDir(), 'exit.jsonl');
    const sinkModule = path.join(ROOT, 'build', 'src', 'sinks', 'jsonl-sink.js');
    execFileSync(process.execPath, [
      '-e',
      `const { JsonlFileSink } = require(${JSON.stringify(sinkModule)});
       const sink = new JsonlFileSink(${JSON.stringify(file)});
       for (let i = 0; i < 5; i++) sink.write({ id: 'exit-' + i });
       process.exit(0);`,
    ]);
    assert.deepEqual(
      lines(file).map((l) => JSON.parse(l).id),
      ['exit-0', 'exit-1', 'exit-2', 'exit-3', 'exit-4'],
    );
  });

  it('logs an unwritable file through diag once, keeps the records and writes them once it can', async () => {
    const dir = tempDir();
    const blocker = path.join(dir, 'not-a-dir');
    fs.writeFileSync(blocker, '');
    await captureDiag(async (messages) => {
      const file = path.join(blocker, 'log.jsonl');
      const sink = new JsonlFileSink(file);
      sink.write(record(1));
      await sink.flush();
      sink.write(record(2));
      await sink.flush();
      assert.equal(
        messages.filter((m) => m.includes('cannot write')).length,
        1,
        'one error, not one per batch',
      );
      assert.match(messages[0], /not-a-dir\/log\.jsonl/);
      fs.rmSync(blocker);
      await sink.close();
      assert.deepEqual(
        lines(file).map((l) => JSON.parse(l).id),
        ['id-1', 'id-2'],
        'nothing was lost',
      );
      assert.ok(messages.some((m) => m.includes('writable again')));
    });
  });
});
