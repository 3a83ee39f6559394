/**
 * One-off measurement, not a bench case: peak RSS of `mima-guard report --json` on a generated log
 * of the given size (default 1 GiB), to show the report's memory follows its summary and the ids
 * it has seen, not the file. Writes the log in a temp directory, removes it at the end.
 *
 *   npm run build && node build/bench/report-memory.js [bytes]
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const CLI = path.resolve(__dirname, '..', 'src', 'cli.js');
const target = Number(process.argv[2] ?? 1024 ** 3);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-report-rss-'));
try {
  const log = path.join(dir, 'guard_log.jsonl');
  const records = writeLog(log, target);
  // The child reports its own peak RSS (getrusage) as it exits.
  const preload = path.join(dir, 'rss.js');
  fs.writeFileSync(
    preload,
    "process.on('exit', () => process.stderr.write(`maxRSS ${process.resourceUsage().maxRSS}\\n`));\n",
  );
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['--require', preload, CLI, 'report', '--file', log, '--json'], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const rssKb = Number(/maxRSS (\d+)/.exec(result.stderr)?.[1]);
  const summary = JSON.parse(result.stdout) as { unattested: number; groups: unknown[] };
  console.log(
    `${(fs.statSync(log).size / 1024 ** 2).toFixed(0)} MiB, ${records} records: exit ${result.status}, ` +
      `${summary.unattested} unattested in ${summary.groups.length} groups, ` +
      `peak RSS ${(rssKb / 1024).toFixed(0)} MiB, ${seconds.toFixed(1)} s (Node ${process.version})`,
  );
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Records in the guard's form (UUID ids, 2,000 code locations), written 10,000 lines at a time. */
function writeLog(file: string, bytes: number): number {
  const fd = fs.openSync(file, 'w');
  let written = 0;
  let count = 0;
  const start = Date.UTC(2026, 0, 1);
  try {
    while (written < bytes) {
      const lines: string[] = [];
      for (let i = 0; i < 10_000; i++, count++) {
        lines.push(
          JSON.stringify({
            ts: new Date(start + count * 5_000).toISOString(),
            call_site: 'openai.OpenAI.chat',
            attested: false,
            mode: 'report',
            blocked: false,
            code_file: `/home/ci/project/src/services/module-${count % 50}/handler.js`,
            code_line: count % 40,
            workspace_id: null,
            pid: 4242,
            id: `${count.toString(16).padStart(8, '0')}-0c1a-4a57-9a53-1d2f1d6f2e01`,
          }) + '\n',
        );
      }
      written += fs.writeSync(fd, lines.join(''));
    }
  } finally {
    fs.closeSync(fd);
  }
  return count;
}
