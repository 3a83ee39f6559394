import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { record, removeTempDirs, runReport, tempDir, writeLog } from './helpers/report-cli';

/** Any C0 but newline, DEL, C1, and the bidi and line-breaking Unicode controls. */
const RAW_CONTROL =
  // eslint-disable-next-line no-control-regex -- what must not reach the terminal
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

describe('mima-guard report on hostile and huge logs', () => {
  after(removeTempDirs);

  describe('log-supplied text with control characters', () => {
    const hostile = [
      record({ call_site: 'openai.\u001b]0;pwned\u0007chat', id: 'osc-title' }),
      record({ call_site: 'openai.\u001b[2J\u001b[Hchat', id: 'clear-screen' }),
      record({ code_file: 'src/app.js:1\nforged.call  src/fake.js:1  1  0', id: 'newline-row' }),
      record({ code_file: 'src/\u202egnp.js', id: 'bidi-override' }),
      record({ call_site: 'openai.\u009b31mchat', code_file: 'src/\u007f\u2066x.js', id: 'c1-del-isolate' }),
      { type: 'dropped', count: 1, reason: 'queue-full\u001b[2J', ts: '2026-11-20T10:00:00.000Z' },
      {
        type: 'coverage',
        ts: '2026-11-20T12:00:00.000Z',
        since: '2026-11-20T00:00:00.000Z',
        pid: 1,
        calls: [{ call_site: 'cohere.\u001b]8;;http://x\u0007link', attested: 1, unattested: 0 }],
      },
    ];

    it('prints no raw control character or bidi override, and one table row per group', () => {
      const dir = tempDir();
      const log = path.join(dir, 'guard\u001b[31m.jsonl');
      writeLog(log, hostile);
      const result = runReport(['--file', log], dir);
      assert.equal(result.status, 0, result.stderr);
      assert.doesNotMatch(result.stdout, RAW_CONTROL);
      assert.match(result.stdout, /openai\.\\u001b\]0;pwned\\u0007chat/);
      assert.match(result.stdout, /src\/\\u202egnp\.js:12/);
      // The header, then exactly the five groups: an embedded newline forges no row.
      const table = result.stdout.split('\n\n')[1].split('\n');
      assert.equal(table.length, 6, result.stdout);
      assert.match(result.stdout, /src\/app\.js:1\\u000aforged\.call/);
    });

    it('keeps --json parseable to the same strings, with no raw C1, DEL or bidi control', () => {
      const dir = tempDir();
      const log = path.join(dir, 'guard_log.jsonl');
      writeLog(log, hostile);
      const result = runReport(['--file', log, '--json'], dir);
      assert.equal(result.status, 0, result.stderr);
      assert.doesNotMatch(result.stdout, RAW_CONTROL);
      const summary = JSON.parse(result.stdout) as {
        groups: Array<{ call_site: string; code_location: string }>;
      };
      assert.ok(summary.groups.some((group) => group.code_location === 'src/\u202egnp.js:12'));
      assert.ok(summary.groups.some((group) => group.call_site === 'openai.\u009b31mchat'));
    });

    it('writes an HTML page with no raw control character or bidi override', () => {
      const dir = tempDir();
      const log = path.join(dir, 'guard_log.jsonl');
      const out = path.join(dir, 'report.html');
      writeLog(log, hostile);
      const result = runReport(['--file', log, '--html', out], dir);
      assert.equal(result.status, 0, result.stderr);
      const page = fs.readFileSync(out, 'utf8');
      assert.doesNotMatch(page, RAW_CONTROL);
      assert.ok(page.includes('src/\\u202egnp.js:12'));
    });
  });

  describe('a record dated 9999-12-31', () => {
    const far = [
      record({ ts: '2026-11-20T09:00:00.000Z', id: 'now' }),
      record({ ts: '2026-11-22T09:00:00.000Z', id: 'later' }),
      record({ ts: '9999-12-31T00:00:00.000Z', id: 'far-future' }),
      record({ ts: '1970-01-01T00:00:00.000Z', id: 'epoch' }),
    ];

    it('counts it, but keeps the per-day series to the window and says what it left out', () => {
      const dir = tempDir();
      const log = path.join(dir, 'guard_log.jsonl');
      writeLog(log, far);
      const json = runReport(['--file', log, '--json'], dir);
      assert.equal(json.status, 0, json.stderr);
      const summary = JSON.parse(json.stdout) as {
        unattested: number;
        per_day: Array<{ day: string; count: number }>;
        per_day_excluded: { before: number; after: number };
      };
      assert.equal(summary.unattested, 4);
      assert.deepEqual(summary.per_day, [
        { day: '2026-11-20', count: 1 },
        { day: '2026-11-21', count: 0 },
        { day: '2026-11-22', count: 1 },
      ]);
      assert.deepEqual(summary.per_day_excluded, { before: 1, after: 1 });
      const text = runReport(['--file', log], dir);
      assert.equal(text.status, 0, text.stderr);
      assert.ok(text.stdout.length < 4096, `${text.stdout.length} bytes`);
      assert.match(text.stdout, /^dated after tomorrow 1 /m);
      assert.match(text.stdout, /^dated before 2026-11-20 1 /m);
    });

    it('writes the HTML page (it overflowed the call stack)', () => {
      const dir = tempDir();
      const log = path.join(dir, 'guard_log.jsonl');
      const out = path.join(dir, 'report.html');
      writeLog(log, far);
      const result = runReport(['--file', log, '--html', out], dir);
      assert.equal(result.status, 0, result.stderr);
      const page = fs.readFileSync(out, 'utf8');
      assert.equal(page.match(/<rect class="bar"/g)?.length, 3);
      assert.match(page, /1 calls dated after tomorrow are left out of the chart/);
    });
  });

  describe('a log larger than the heap', () => {
    const RECORDS = 200_000;

    /** About 50 MB of records in the guard's form, written in chunks (never whole in memory). */
    function writeBigLog(file: string): void {
      const fd = fs.openSync(file, 'w');
      try {
        for (let start = 0; start < RECORDS; start += 10_000) {
          const lines: string[] = [];
          for (let i = start; i < start + 10_000; i++) {
            lines.push(
              JSON.stringify(
                record({
                  ts: new Date(Date.UTC(2026, 5, 1) + i * 60_000).toISOString(),
                  code_file: `/home/ci/project/src/services/module-${i % 50}/handler.js`,
                  code_line: i % 400,
                  id: `0000${i.toString(16).padStart(8, '0')}-0c1a-4a57-9a53-1d2f1d6f2e01`,
                }),
              ),
            );
          }
          // Padding in a field the report ignores: the size of a log whose paths are longer.
          fs.writeSync(fd, lines.map((line) => `${line.slice(0, -1)},"pad":"${'p'.repeat(32)}"}\n`).join(''));
        }
      } finally {
        fs.closeSync(fd);
      }
    }

    it('streams it line by line in a child whose heap cannot hold the file', function () {
      this.timeout(120_000);
      const dir = tempDir();
      const log = path.join(dir, 'guard_log.jsonl');
      writeBigLog(log);
      assert.ok(fs.statSync(log).size > 50_000_000, `${fs.statSync(log).size} bytes`);
      const result = runReport(['--file', log, '--json'], dir, ['--max-old-space-size=48']);
      assert.equal(result.status, 0, result.stderr.slice(0, 2000));
      const summary = JSON.parse(result.stdout) as {
        unattested: number;
        groups: unknown[];
        per_day: unknown[];
      };
      assert.equal(summary.unattested, RECORDS);
      assert.equal(summary.groups.length, 400);
      assert.equal(summary.per_day.length, 139);
    });
  });
});
