import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { JsonlFileSink } from '../../src/app/sinks/jsonl-sink';
import { captureDiag } from '../helpers/diag';
import { until } from './helpers';

const MAX_BYTES = 64 * 1024;
const RECORDS = 300;

/** SECURITY.md, "Rotation": what sits at a backup slot or the lock path never costs a record. */
describe('reliability: rotation that cannot be wedged (a backup slot or the lock path in the way)', () => {
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  const sinks: JsonlFileSink[] = [];

  afterEach(async () => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    for (const sink of sinks.splice(0)) await sink.close();
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A log already at maxBytes (lines of its own kind), so the next batch rotates it. */
  function fullLog(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-wedge-'));
    dirs.push(dir);
    const file = path.join(dir, 'guard_log.jsonl');
    const line = JSON.stringify({ type: 'old', pad: 'o'.repeat(100) }) + '\n';
    fs.writeFileSync(file, line.repeat(Math.ceil(MAX_BYTES / line.length)), { mode: 0o600 });
    return file;
  }

  function sinkFor(file: string, backups = 3): JsonlFileSink {
    const sink = new JsonlFileSink(file, { maxBytes: MAX_BYTES, backups });
    sinks.push(sink);
    return sink;
  }

  async function writeRecords(sink: JsonlFileSink, from: number, count: number): Promise<void> {
    for (let i = from; i < from + count; i++) sink.writeLine({ n: i, pad: 'r'.repeat(100) });
    assert.equal(await sink.flush(), true, 'the records were written');
  }

  /** The record numbers found in the log and its regular-file backups (a directory slot is skipped). */
  function numbersIn(file: string): number[] {
    const found: number[] = [];
    const backups = Array.from({ length: 12 }, (_, i) => `${file}.${i + 1}`);
    for (const name of [file, ...backups]) {
      if (!fs.existsSync(name) || !fs.lstatSync(name).isFile()) continue;
      for (const line of fs.readFileSync(name, 'utf8').split('\n')) {
        if (!line) continue;
        const value = JSON.parse(line) as { n?: number; type?: string };
        assert.notEqual(value.type, 'dropped', 'no record was dropped');
        if (value.n !== undefined) found.push(value.n);
      }
    }
    return found.sort((a, b) => a - b);
  }

  const all = (count: number) => Array.from({ length: count }, (_, i) => i);

  it('a backup slot that is a directory: rotation keeps the slots before it, every record is written, the slot is named', async () => {
    const file = fullLog();
    fs.writeFileSync(`${file}.1`, '');
    fs.writeFileSync(`${file}.2`, '');
    fs.mkdirSync(`${file}.3`);
    fs.writeFileSync(path.join(`${file}.3`, 'kept'), 'not ours');
    const messages = await captureDiag(() => writeRecords(sinkFor(file), 0, RECORDS));
    assert.deepEqual(numbersIn(file), all(RECORDS));
    assert.ok(fs.statSync(file).size <= MAX_BYTES, 'the log was rotated');
    assert.ok(fs.readFileSync(`${file}.1`, 'utf8').includes('"old"'), 'the full log is now file.1');
    assert.equal(
      fs.readFileSync(path.join(`${file}.3`, 'kept'), 'utf8'),
      'not ours',
      'the directory is untouched',
    );
    assert.ok(
      messages.some((m) => m.includes(`${file}.3 is a directory`) && m.includes('keeps 2 backups')),
      JSON.stringify(messages),
    );
  });

  it('file.1 a directory: no backup can be made, so the log grows past maxBytes, said once with MIMA_GUARD_ROTATION_STUCK', async () => {
    const file = fullLog();
    fs.mkdirSync(`${file}.1`);
    fs.writeFileSync(path.join(`${file}.1`, 'kept'), '');
    const sink = sinkFor(file);
    const messages = await captureDiag(async () => {
      await writeRecords(sink, 0, RECORDS);
      await writeRecords(sink, RECORDS, RECORDS);
    });
    assert.deepEqual(numbersIn(file), all(2 * RECORDS));
    assert.ok(fs.statSync(file).size > MAX_BYTES);
    const stuck = messages.filter((m) => m.includes('is not rotated'));
    assert.equal(stuck.length, 1, JSON.stringify(messages));
    assert.ok(stuck[0].includes(file) && stuck[0].includes(`${file}.1 is a directory`), stuck[0]);
  });

  for (const [what, fill] of [
    ['an empty directory (removed and taken)', false],
    ['a directory with files in it (rotation goes on without it)', true],
  ] as const) {
    it(`the lock path is ${what}: the log is rotated, every record is written, the lock path is named`, async () => {
      const file = fullLog();
      fs.mkdirSync(`${file}.lock`);
      if (fill) fs.writeFileSync(path.join(`${file}.lock`, 'kept'), '');
      const messages = await captureDiag(() => writeRecords(sinkFor(file), 0, RECORDS));
      assert.deepEqual(numbersIn(file), all(RECORDS));
      assert.ok(fs.statSync(file).size <= MAX_BYTES, 'the log was rotated');
      assert.ok(fs.readFileSync(`${file}.1`, 'utf8').includes('"old"'), 'the full log is now file.1');
      assert.ok(
        messages.some((m) => m.includes(`${file}.lock`) && m.includes('a directory, not a lock file')),
        JSON.stringify(messages),
      );
      assert.equal(fs.existsSync(path.join(`${file}.lock`, 'kept')), fill, 'files in it are never removed');
    });
  }

  it('a lock kept fresh by a live process that never lets go: broken after a bound, then the log rotates; no record dropped', async () => {
    const file = fullLog();
    const lockPath = `${file}.lock`;
    // The stuck holder: writes its pid into the lock, then keeps touching it.
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const fs = require('node:fs');
         const lock = ${JSON.stringify(lockPath)};
         fs.writeFileSync(lock, process.pid + '\\n', { flag: 'wx', mode: 0o600 });
         process.stdout.write('held\\n');
         setInterval(() => { try { const now = new Date(); fs.utimesSync(lock, now, now); } catch {} }, 100);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(holder);
    await new Promise((resolve) => holder.stdout!.once('data', resolve));
    // Two seconds of records pile up past maxBytes behind the stuck lock, and go out in several
    // rotations once it is broken: enough backups that rotation itself deletes none of them.
    const sink = sinkFor(file, 12);
    let written = 0;
    const messages = await captureDiag(async () => {
      await until(() => {
        if (fs.existsSync(`${file}.1`)) return true;
        for (let i = 0; i < 10; i++) sink.writeLine({ n: written++, pad: 'r'.repeat(100) });
        void sink.flush();
        return false;
      }, 'the log rotated despite the stuck lock holder');
      assert.equal(await sink.flush(), true);
    });
    assert.deepEqual(numbersIn(file), all(written));
    assert.ok(
      messages.some((m) => m.includes(lockPath) && m.includes(`held by process ${holder.pid}`)),
      JSON.stringify(messages),
    );
  });
});
