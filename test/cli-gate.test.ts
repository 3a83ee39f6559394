import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { record, removeTempDirs, runReport, tempDir, writeLog } from './helpers/report-cli';

/** `report --fail-on-unattested` as a CI gate: it must never pass on a log it did not read. */
describe('mima-guard report --fail-on-unattested, the gate', () => {
  after(removeTempDirs);

  it('exits 2 naming a --file that does not exist (mistyped, or refused by the guard), 0 never', () => {
    const home = tempDir();
    const missing = path.join(home, 'x.jsonl');
    const result = runReport(['--file', missing, '--fail-on-unattested'], home);
    assert.equal(result.status, 2, result.stdout);
    assert.ok(result.stderr.includes(`no such log: ${missing}`), result.stderr);
    assert.match(result.stderr, /does not pass on a log it did not read/);
    // One missing among logs that exist is as bad: that log's calls were not read.
    const present = path.join(home, 'present.jsonl');
    writeLog(present, []);
    const mixed = runReport(['--file', present, '--file', missing, '--fail-on-unattested'], home);
    assert.equal(mixed.status, 2);
    assert.ok(mixed.stderr.includes(`no such log: ${missing}`), mixed.stderr);
    // Without the gate the report is still printed, and the missing log still named.
    const plain = runReport(['--file', missing], home);
    assert.equal(plain.status, 0);
    assert.ok(plain.stderr.includes(`no such log: ${missing}`), plain.stderr);
  });

  it('exits 2, never 1, naming a --file that cannot be read (a directory)', () => {
    const home = tempDir();
    const directory = path.join(home, 'a-directory.jsonl');
    fs.mkdirSync(directory);
    for (const args of [['--fail-on-unattested'], []]) {
      const result = runReport(['--file', directory, ...args], home);
      assert.equal(result.status, 2, result.stderr);
      assert.ok(result.stderr.includes(`cannot read ${directory}: EISDIR`), result.stderr);
      assert.equal(result.stdout, '');
    }
  });

  it('exits 2 by default when neither the guard nor the daemon log exists, saying so on stderr', () => {
    const home = tempDir();
    const result = runReport(['--fail-on-unattested'], home);
    assert.equal(result.status, 2);
    assert.match(result.stdout, /^No log files found/);
    assert.ok(
      result.stderr.includes(`no log at ${path.join(home, '.mima', 'guard_log.jsonl')} or `),
      result.stderr,
    );
    assert.match(result.stderr, /nothing shows that the guard ran here/);
    // Without the gate it is a report of nothing, said as loudly, exit 0.
    const plain = runReport([], home);
    assert.equal(plain.status, 0);
    assert.match(plain.stderr, /nothing shows that the guard ran here/);
  });

  it('passes (0) on a log that exists and holds no unattested call: a fresh project creates it first', () => {
    const home = tempDir();
    const log = path.join(home, 'mima-report.jsonl');
    fs.writeFileSync(log, '');
    const result = runReport(['--file', log, '--fail-on-unattested'], home);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, '');
    assert.equal(result.stdout, `0 unattested calls (read ${log})\n`);
  });

  it('exits 1 on a log whose only record was cut short (a crash, a full disk), not 0', () => {
    // The adversarial review: a truncated unattested record was counted "malformed 1" and passed.
    const home = tempDir();
    const log = path.join(home, 'guard_log.jsonl');
    fs.writeFileSync(
      log,
      '{"ts":"2026-12-03T06:00:00.000Z","call_site":"openai.OpenAI.chat","attested":false,"mode":"block","blocked":tr',
    );
    const result = runReport(['--file', log, '--fail-on-unattested'], home);
    assert.equal(result.status, 1, result.stdout + result.stderr);
    assert.equal(runReport(['--file', log], home).status, 0, 'without the gate, the report only counts it');
  });

  it('exits 1 on dropped markers, saying how many were lost and why, per reason', () => {
    const home = tempDir();
    const log = path.join(home, 'guard_log.jsonl');
    writeLog(log, [
      record({ attested: false, id: 'kept' }),
      { type: 'dropped', count: 3, reason: 'queue-full', ts: '2026-11-20T10:00:00.000Z' },
      { type: 'dropped', count: 2, reason: 'log-path-refused', ts: '2026-11-20T10:01:00.000Z' },
      { type: 'dropped', count: 4, reason: 'queue-full', ts: '2026-11-20T10:02:00.000Z' },
      { type: 'dropped', count: 1, ts: '2026-11-20T10:03:00.000Z' },
    ]);
    const text = runReport(['--file', log, '--fail-on-unattested'], home);
    assert.equal(text.status, 1);
    assert.match(
      text.stdout,
      /^dropped 10 \(records lost before they reached the log\): 7 queue-full, 2 log-path-refused, 1 unspecified$/m,
    );
    const json = runReport(['--file', log, '--json'], home);
    assert.equal(json.status, 0);
    const summary = JSON.parse(json.stdout) as { dropped: number; dropped_by_reason: unknown };
    assert.equal(summary.dropped, 10);
    assert.deepEqual(summary.dropped_by_reason, [
      { reason: 'queue-full', count: 7 },
      { reason: 'log-path-refused', count: 2 },
      { reason: 'unspecified', count: 1 },
    ]);
    // Dropped markers alone, no record: still a failed gate.
    const onlyDropped = path.join(home, 'only-dropped.jsonl');
    writeLog(onlyDropped, [
      { type: 'dropped', count: 1, reason: 'log-path-refused', ts: new Date().toISOString() },
    ]);
    assert.equal(runReport(['--file', onlyDropped, '--fail-on-unattested'], home).status, 1);
  });
});
