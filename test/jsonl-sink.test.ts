import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JsonlFileSink } from '../src/app/sinks/jsonl-sink';
import type { DetectionRecord } from '../src/app/types';
import { captureDiag } from './helpers/diag';
import { ROOT } from './helpers/guard';
import { readLogRecords } from './helpers/log-lines';
import { tempDir as makeTempDir } from './helpers/temp-dir';

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

const RECORD_BYTES = Buffer.byteLength(JSON.stringify(record(10)) + '\n');
const tempDir = () => makeTempDir('mima-jsonl-');
const lines = (file: string) => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
const ids = (file: string) => readLogRecords<{ id?: string }>(file).map((r) => r.id);
const SINK_MODULE = JSON.stringify(path.join(ROOT, 'build', 'src', 'app', 'sinks', 'jsonl-sink.js'));

/** A log path whose parent is a regular file: ENOTDIR, a fault that holds even for root. */
function unwritableLog(): { file: string; makeWritable: () => void } {
  const blocker = path.join(tempDir(), 'not-a-dir');
  fs.writeFileSync(blocker, '');
  return { file: path.join(blocker, 'log.jsonl'), makeWritable: () => fs.rmSync(blocker) };
}

/** Runs a child node script that queues five records in `file`, then does `then`. */
function runChild(file: string, then: string) {
  return spawnSync(
    process.execPath,
    [
      '-e',
      `const { JsonlFileSink } = require(${SINK_MODULE});
       const sink = new JsonlFileSink(${JSON.stringify(file)});
       for (let i = 0; i < 5; i++) sink.write({ id: 'exit-' + i });
       ${then}`,
    ],
    { encoding: 'utf8', timeout: 20_000 },
  );
}

/** `count` records whose lines add up past `limit` with `limit` falling inside a line, not on a newline. */
function recordsCutMidLine(count: number, limit: number): DetectionRecord[] {
  for (let pad = 0; ; pad++) {
    const records = Array.from({ length: count }, (_, i) => ({
      ...record(i),
      code_file: `app${'_'.repeat(pad)}.js`,
    }));
    let total = 0;
    const ends = records.map((r) => (total += Buffer.byteLength(JSON.stringify(r) + '\n')));
    if (ends[count / 2 - 1] < limit && total > limit && !ends.includes(limit)) return records;
  }
}

const FIVE = ['exit-0', 'exit-1', 'exit-2', 'exit-3', 'exit-4'];

describe('JSONL file sink', () => {
  it('creates its directory 0700 and its file 0600', async () => {
    const file = path.join(tempDir(), 'nested', 'guard_log.jsonl');
    const sink = new JsonlFileSink(file);
    sink.write(record(1));
    await sink.close();
    assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(ids(file), ['id-1']);
  });

  it('does no I/O in write(): the batch lands after the current tick', async () => {
    const file = path.join(tempDir(), 'log.jsonl');
    const sink = new JsonlFileSink(file);
    for (let i = 0; i < 100; i++) assert.equal(sink.write(record(i)), true);
    assert.equal(fs.existsSync(file), false, 'nothing written synchronously');
    assert.equal(await sink.flush(), true);
    assert.equal(lines(file).length, 100);
    await sink.close();
    assert.equal(
      sink.write(record(101)),
      false,
      'a closed sink takes nothing, so the chain can fall through',
    );
  });

  it('logs an unwritable file through diag once, keeps the records and writes them once it can', async () => {
    const { file, makeWritable } = unwritableLog();
    await captureDiag(async (messages) => {
      const sink = new JsonlFileSink(file);
      sink.write(record(1));
      assert.equal(await sink.flush(), false, 'flush says the lines are still queued');
      sink.write(record(2));
      assert.equal(await sink.flush(), false);
      assert.equal(
        messages.filter((m) => m.includes('cannot write')).length,
        1,
        'one error, not one per batch',
      );
      assert.match(messages[0], /not-a-dir\/log\.jsonl/);
      makeWritable();
      await sink.close();
      assert.deepEqual(ids(file), ['id-1', 'id-2'], 'nothing was lost');
      assert.ok(messages.some((m) => m.includes('writable again')));
    });
  });

  it('never throws into the caller and logs one error for thousands of records while the log is unwritable', async () => {
    const { file, makeWritable } = unwritableLog();
    const messages = await captureDiag(async () => {
      const sink = new JsonlFileSink(file);
      for (let i = 0; i < 5_000; i++) {
        assert.equal(sink.write(record(i)), true);
        if (i % 500 === 0) assert.equal(await sink.flush(), false);
      }
      makeWritable();
      assert.equal(await sink.flush(), true);
      await sink.close();
    });
    assert.equal(messages.filter((m) => m.includes('cannot write')).length, 1);
    const found = ids(file);
    assert.equal(found.length, 5_000);
    assert.equal(new Set(found).size, 5_000, 'each record once');
  });

  it('never glues a record to the fragment a cut-short write left: the fragment stays a line of its own', async () => {
    // A file size limit (bash ulimit -f, in 1024-byte blocks) cuts the child's second batch
    // part-way, as a full disk does (EFBIG here, ENOSPC there); the child then exits. The second
    // batch is written by flushSync() (the exit path): a plain write(2) stops short at the limit,
    // while Node 22+ may send async writes through io_uring, which fails them whole.
    const file = path.join(tempDir(), 'full.jsonl');
    const limitBytes = 4096;
    const records = recordsCutMidLine(24, limitBytes);
    const script = `
      const { JsonlFileSink } = require(${SINK_MODULE});
      const records = ${JSON.stringify(records)};
      (async () => {
        const sink = new JsonlFileSink(${JSON.stringify(file)});
        for (const record of records.slice(0, 12)) sink.write(record);
        const first = await sink.flush();
        for (const record of records.slice(12)) sink.write(record);
        sink.flushSync();
        console.log(JSON.stringify([first]));
      })();`;
    const output = execFileSync(
      'bash',
      ['-c', `ulimit -S -f ${limitBytes / 1024}; exec "$0" -e "$1"`, process.execPath, script],
      { encoding: 'utf8' },
    );
    assert.equal(output.trim(), '[true]', 'the first batch was written');
    assert.notEqual(fs.readFileSync(file, 'utf8').at(-1), '\n', 'the file ends inside a line');

    // Another writer (here, this process, with no limit) appends to the same file.
    const sink = new JsonlFileSink(file);
    sink.write(record(24));
    sink.write(record(25));
    await sink.close();
    const all = lines(file);
    const unparsable = all.filter((line) => {
      try {
        JSON.parse(line);
        return false;
      } catch {
        return true;
      }
    });
    assert.equal(unparsable.length, 1, 'only the fragment itself');
    const found = new Set(all.filter((line) => !unparsable.includes(line)).map((l) => JSON.parse(l).id));
    for (let i = 0; i < 12; i++) assert.ok(found.has(`id-${i}`));
    assert.ok(found.has('id-24') && found.has('id-25'), 'the next records are whole');
  });

  it('counts a batch once when flushSync() takes it over mid-write: a later flush() still waits for its own lines', async () => {
    const file = path.join(tempDir(), 'race.jsonl');
    const sink = new JsonlFileSink(file);
    for (let i = 0; i < 100; i++) sink.write(record(i));
    const inFlight = sink.flush();
    // Until the async write has taken its batch (a few microtasks, no I/O completes meanwhile).
    const state = sink as unknown as { inFlight: string[] };
    while (state.inFlight.length === 0) await Promise.resolve();
    // As a SIGTERM the app handles itself would: the queue, in-flight batch included, written now.
    sink.flushSync();
    assert.equal(await inFlight, true);
    sink.write(record(100));
    assert.equal(await sink.flush(), true);
    assert.ok(ids(file).includes('id-100'), 'flush() resolved before its line was written');
    await sink.close();
    assert.equal(new Set(ids(file)).size, 101, 'every record, duplicates aside');
  });

  it('retries on its own timer, without another write or flush', async () => {
    const { file, makeWritable } = unwritableLog();
    await captureDiag(async () => {
      const sink = new JsonlFileSink(file);
      sink.write(record(1));
      assert.equal(await sink.flush(), false);
      makeWritable();
      // The file is created just before its line is appended: wait for the line, not the file.
      const written = () => fs.existsSync(file) && ids(file).length > 0;
      const deadline = Date.now() + 5_000;
      while (!written() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(ids(file), ['id-1']);
      await sink.close();
    });
  });

  it('keeps at most maxQueued records while failing and writes a dropped line with the overflow count', async () => {
    const { file, makeWritable } = unwritableLog();
    const messages = await captureDiag(async () => {
      const sink = new JsonlFileSink(file, { maxQueued: 3 });
      for (let i = 0; i < 5; i++) sink.write(record(i));
      assert.equal(await sink.flush(), false);
      makeWritable();
      assert.equal(await sink.flush(), true);
      await sink.close();
    });
    const written = readLogRecords<{ id?: string; type?: string; count?: number }>(file);
    assert.deepEqual(
      written.slice(0, 3).map((r) => r.id),
      ['id-0', 'id-1', 'id-2'],
    );
    assert.equal(written.length, 4);
    assert.equal(written[3].type, 'dropped');
    assert.equal(written[3].count, 2);
    assert.equal(messages.filter((m) => m.includes('further ones are counted')).length, 1);
  });

  it('refuses a log path that is a symlink: the target is not written and the records are kept', async () => {
    const dir = tempDir();
    const target = path.join(dir, 'elsewhere');
    fs.writeFileSync(target, '');
    const file = path.join(dir, 'log.jsonl');
    fs.symlinkSync(target, file);
    const messages = await captureDiag(async () => {
      const sink = new JsonlFileSink(file);
      sink.write(record(1));
      assert.equal(await sink.flush(), false);
      sink.write(record(2));
      assert.equal(await sink.flush(), false);
      assert.equal(fs.readFileSync(target, 'utf8'), '', 'the symlink was not followed');
      fs.unlinkSync(file);
      assert.equal(await sink.flush(), true);
      await sink.close();
    });
    assert.equal(messages.filter((m) => m.includes('refusing')).length, 1);
    assert.equal(fs.lstatSync(file).isFile(), true);
    assert.deepEqual(ids(file), ['id-1', 'id-2']);
  });

  it('refuses a log path that is not a regular file (a character device)', async () => {
    const messages = await captureDiag(async () => {
      const sink = new JsonlFileSink('/dev/null');
      sink.write(record(1));
      assert.equal(await sink.flush(), false);
      // Leaves the refused sink behind with its unref'd retry timer; it never writes anywhere.
    });
    assert.equal(messages.filter((m) => m.includes('refusing')).length, 1);
  });

  describe('rotation', () => {
    it('rotates at maxBytes into file.1 (newest) … file.<backups> (oldest) and removes older ones', async () => {
      const file = path.join(tempDir(), 'log.jsonl');
      const maxBytes = RECORD_BYTES * 4;
      const sink = new JsonlFileSink(file, { maxBytes, backups: 2 });
      for (let i = 0; i < 20; i++) {
        sink.write(record(i));
        await sink.flush();
      }
      await sink.close();
      assert.deepEqual(ids(file), ['id-16', 'id-17', 'id-18', 'id-19']);
      assert.deepEqual(ids(`${file}.1`), ['id-12', 'id-13', 'id-14', 'id-15']);
      assert.deepEqual(ids(`${file}.2`), ['id-8', 'id-9', 'id-10', 'id-11']);
      assert.equal(fs.existsSync(`${file}.3`), false);
      for (const f of [file, `${file}.1`, `${file}.2`]) {
        assert.ok(fs.statSync(f).size <= maxBytes);
        assert.equal(fs.statSync(f).mode & 0o777, 0o600);
      }
      assert.equal(fs.existsSync(`${file}.lock`), false, 'the lock is released');
    });

    it('follows a rotation done by another process: the next batch goes to the new file', async () => {
      const file = path.join(tempDir(), 'log.jsonl');
      const sink = new JsonlFileSink(file);
      sink.write(record(1));
      await sink.flush();
      fs.renameSync(file, `${file}.1`);
      sink.write(record(2));
      await sink.flush();
      await sink.close();
      assert.deepEqual(ids(`${file}.1`), ['id-1']);
      assert.deepEqual(ids(file), ['id-2']);
    });

    it('takes over a lock left by a dead process', async () => {
      const file = path.join(tempDir(), 'log.jsonl');
      const deadPid = spawnSync(process.execPath, ['-e', '']).pid;
      fs.writeFileSync(`${file}.lock`, `${deadPid}\n`);
      const sink = new JsonlFileSink(file, { maxBytes: RECORD_BYTES, backups: 1 });
      for (let i = 0; i < 2; i++) {
        sink.write(record(i));
        await sink.flush();
      }
      await sink.close();
      assert.deepEqual(ids(`${file}.1`), ['id-0'], 'rotated despite the leftover lock');
      assert.deepEqual(ids(file), ['id-1']);
      assert.equal(fs.existsSync(`${file}.lock`), false);
    });

    it('waits for a live lock holder, then writes without rotating rather than lose the line', async () => {
      const file = path.join(tempDir(), 'log.jsonl');
      fs.writeFileSync(`${file}.lock`, `${process.pid}\n`);
      const sink = new JsonlFileSink(file, { maxBytes: RECORD_BYTES, backups: 1 });
      for (let i = 0; i < 2; i++) {
        sink.write(record(i));
        await sink.flush();
      }
      await sink.close();
      assert.deepEqual(ids(file), ['id-0', 'id-1']);
      assert.equal(fs.existsSync(`${file}.1`), false);
      assert.equal(
        fs.readFileSync(`${file}.lock`, 'utf8'),
        `${process.pid}\n`,
        "another holder's lock is left alone",
      );
    });
  });

  describe('at process exit', () => {
    it('writes what is still queued when the event loop empties', () => {
      const file = path.join(tempDir(), 'exit.jsonl');
      const child = runChild(file, '');
      assert.equal(child.status, 0, child.stderr);
      assert.deepEqual(ids(file), FIVE);
    });

    it('writes what is still queued on process.exit()', () => {
      const file = path.join(tempDir(), 'exit.jsonl');
      const child = runChild(file, 'process.exit(0);');
      assert.equal(child.status, 0, child.stderr);
      assert.deepEqual(ids(file), FIVE);
    });

    it('writes what is still queued when an uncaught exception ends the process', () => {
      const file = path.join(tempDir(), 'exit.jsonl');
      const child = runChild(file, "throw new Error('app crash');");
      assert.equal(child.status, 1);
      assert.match(child.stderr, /app crash/);
      assert.deepEqual(ids(file), FIVE);
    });

    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      it(`writes what is queued on ${signal} and still dies by the signal when the app has no listener`, () => {
        const file = path.join(tempDir(), 'exit.jsonl');
        const child = runChild(file, `process.kill(process.pid, '${signal}'); setTimeout(() => {}, 10_000);`);
        assert.equal(child.signal, signal);
        assert.deepEqual(ids(file), FIVE);
      });
    }

    it("only flushes on SIGINT when the app has its own listener: the app's listener decides", () => {
      const file = path.join(tempDir(), 'exit.jsonl');
      const child = runChild(
        file,
        `const keepAlive = setTimeout(() => {}, 10_000);
         process.on('SIGINT', () => {
           const written = require('fs').readFileSync(${JSON.stringify(file)}, 'utf8').split('\\n').filter(Boolean).length;
           setTimeout(() => { console.log('app still running, ' + written + ' lines'); clearTimeout(keepAlive); }, 50);
         });
         process.kill(process.pid, 'SIGINT');`,
      );
      assert.equal(child.signal, null);
      assert.equal(child.status, 0);
      assert.match(child.stdout, /app still running, 5 lines/);
      assert.deepEqual(ids(file), FIVE);
    });

    it('is flushed by disableGuard() before it resolves', () => {
      const file = path.join(tempDir(), 'guard.jsonl');
      const index = JSON.stringify(path.join(ROOT, 'build', 'src', 'index.js'));
      const guard = JSON.stringify(path.join(ROOT, 'build', 'src', 'app', 'guard.js'));
      const out = execFileSync(
        process.execPath,
        [
          '-e',
          `const { enableGuard, disableGuard } = require(${index});
           const { activeGuard } = require(${guard});
           enableGuard({ mode: 'report', logFile: ${JSON.stringify(file)} });
           for (let i = 0; i < 3; i++) activeGuard().check({ callSite: 'openai.OpenAI.chat', provider: 'openai', operation: 'chat' });
           disableGuard().then(() => {
             console.log(require('fs').readFileSync(${JSON.stringify(file)}, 'utf8').split('\\n').filter(Boolean).length);
             process.exit(0);
           });`,
        ],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
      );
      assert.equal(out.trim(), '3');
    });
  });
});
