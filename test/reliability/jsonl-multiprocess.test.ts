import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from '../helpers/guard';
import { tempDir as makeTempDir } from '../helpers/temp-dir';

const WRITER = path.join(ROOT, 'build', 'test', 'fixtures', 'jsonl', 'writer.js');
const PROCESSES = 4;
const THREADS = 2;
const RECORDS_PER_THREAD = 5_000;
const MAX_BYTES = 64 * 1024;
// ~230 bytes a record: 40,000 records are ~9 MB, ~140 files of 64 KiB. Room for three times that,
// so no rotated file is deleted and every record must be found.
const BACKUPS = 450;

function runWriter(file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [WRITER, file, String(MAX_BYTES), String(BACKUPS), String(THREADS), String(RECORDS_PER_THREAD)],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`writer exited ${code ?? signal}`)),
    );
  });
}

describe('JSONL file sink: several processes and worker threads on one rotating log', () => {
  it('keeps every record exactly once, in whole lines, across rotations', async function () {
    this.timeout(60_000);
    const dir = makeTempDir('mima-jsonl-mp-');
    const file = path.join(dir, 'guard_log.jsonl');
    await Promise.all(Array.from({ length: PROCESSES }, () => runWriter(file)));

    const files = [file, ...Array.from({ length: BACKUPS }, (_, i) => `${file}.${i + 1}`)].filter((f) =>
      fs.existsSync(f),
    );
    assert.ok(!fs.existsSync(`${file}.${BACKUPS}`), 'the oldest backup slot is unused: nothing was deleted');
    assert.ok(files.length > 10, `the log rotated (${files.length} files)`);
    const seen = new Map<string, number>();
    let torn = 0;
    for (const f of files) {
      for (const line of fs.readFileSync(f, 'utf8').split('\n')) {
        if (!line) continue;
        try {
          const id = (JSON.parse(line) as { id: string }).id;
          seen.set(id, (seen.get(id) ?? 0) + 1);
        } catch {
          torn++;
        }
      }
    }
    const sent = PROCESSES * THREADS * RECORDS_PER_THREAD;
    const duplicated = [...seen.values()].filter((n) => n > 1).length;
    console.log(
      `      sent ${sent}, found ${seen.size}, duplicated ${duplicated}, torn lines ${torn}, files ${files.length}`,
    );
    assert.equal(torn, 0, 'every line parses');
    assert.equal(duplicated, 0, 'no record written twice');
    assert.equal(seen.size, sent, 'every record found');
    assert.ok(!fs.existsSync(`${file}.lock`), 'the rotation lock was released');
  });
});
