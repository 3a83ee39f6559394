/**
 * `npm run soak [-- --seconds N]` (default 60; not in CI): 2 processes × 4 concurrent workers make
 * a mix of attested and unattested real openai calls against the loopback mock server, with a real
 * daemon (`mima-guard daemon`) up for the first half and killed with SIGKILL for the second. Prints
 * calls made, records expected (unattested calls), records found (daemon log + JSONL fallback,
 * de-duplicated by id), duplicates and lost, and each process's RSS after warm-up and at the end.
 * Target: zero lost, RSS growth under 10 %. Exits 1 when a record is lost.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { startLoopbackServer } from '../loopback';
import { logFiles } from '../records';

const PROCESSES = 2;
const WORKERS_PER_PROCESS = 4;
const ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'build', 'src', 'command', 'cli.js');
const WORKER = path.join(__dirname, 'worker.js');

interface WorkerResult {
  pid: number;
  calls: number;
  attested: number;
  unattested: number;
  failed: number;
  rss: { atStart: number; afterWarmUp: number; atEnd: number };
}

/** Rotated files looked for beside a log: more than either writer keeps. */
const MAX_BACKUPS = 20;

/** Record ids (and how often each appears) in a JSONL file and its rotated backups, by pid. */
function readIds(file: string, ids: Map<string, number>, pids: Set<number>): { lines: number; torn: number } {
  let lines = 0;
  let torn = 0;
  for (const name of logFiles(file, MAX_BACKUPS)) {
    for (const line of fs.readFileSync(name, 'utf8').split('\n')) {
      if (!line) continue;
      try {
        const record = JSON.parse(line) as { id?: string; pid?: number };
        if (record.id === undefined || !pids.has(record.pid ?? -1)) continue;
        lines++;
        ids.set(record.id, (ids.get(record.id) ?? 0) + 1);
      } catch {
        torn++;
      }
    }
  }
  return { lines, torn };
}

function untilLine(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split('\n').find((l) => pattern.test(l));
      if (line !== undefined) {
        child.stdout!.removeListener('data', onData);
        resolve(line);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited ${code} before printing ${pattern}: ${output}`)));
  });
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '60' } } });
  const seconds = Number(values.seconds);
  if (!(seconds > 0)) throw new Error(`--seconds must be a positive number; got ${values.seconds}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-soak-'));
  const socket = path.join(dir, 'daemon.sock');
  const daemonLog = path.join(dir, 'daemon_log.jsonl');
  const guardLog = path.join(dir, 'guard_log.jsonl');

  const server = await startLoopbackServer();
  const daemon = spawn(process.execPath, [CLI, 'daemon', '--socket', socket, '--log-file', daemonLog], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await untilLine(daemon, /listening/);
  console.log(`soak: ${seconds} s, ${PROCESSES} processes × ${WORKERS_PER_PROCESS} workers, files in ${dir}`);

  const baseURL = `http://127.0.0.1:${server.port}/v1`;
  const workers = Array.from({ length: PROCESSES }, () => {
    const child = spawn(
      process.execPath,
      [WORKER, socket, guardLog, baseURL, String(seconds), String(WORKERS_PER_PROCESS)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const result = untilLine(child, /^\{"pid"/).then((line) => JSON.parse(line) as WorkerResult);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, result, exited };
  });

  await new Promise((resolve) => setTimeout(resolve, (seconds * 1000) / 2));
  daemon.kill('SIGKILL');
  console.log(`soak: daemon killed (SIGKILL) at ${seconds / 2} s`);

  const results = await Promise.all(workers.map((w) => w.result));
  const codes = await Promise.all(workers.map((w) => w.exited));
  const requests = await server.close();

  const pids = new Set(results.map((r) => r.pid));
  const ids = new Map<string, number>();
  const inDaemon = readIds(daemonLog, ids, pids);
  const inFallback = readIds(guardLog, ids, pids);
  const calls = results.reduce((n, r) => n + r.calls, 0);
  const expected = results.reduce((n, r) => n + r.unattested, 0);
  const duplicates = [...ids.values()].filter((n) => n > 1).length;
  const lost = Math.max(0, expected - ids.size);

  console.log(
    `calls made        ${calls} (attested ${calls - expected}, failed ${results.reduce((n, r) => n + r.failed, 0)}; server answered ${requests})`,
  );
  console.log(`records expected  ${expected}`);
  console.log(
    `records found     ${ids.size} (daemon log ${inDaemon.lines} lines, JSONL fallback ${inFallback.lines} lines, torn ${inDaemon.torn + inFallback.torn})`,
  );
  console.log(`duplicates        ${duplicates}`);
  console.log(
    `lost              ${lost}${ids.size > expected ? ` (found ${ids.size - expected} more than expected)` : ''}`,
  );
  let growthOk = true;
  for (const r of results) {
    const growth = (r.rss.atEnd / r.rss.afterWarmUp - 1) * 100;
    growthOk &&= growth < 10;
    console.log(
      `process ${r.pid}     RSS ${mb(r.rss.atStart)} at start, ${mb(r.rss.afterWarmUp)} after warm-up, ${mb(r.rss.atEnd)} at end (${growth >= 0 ? '+' : ''}${growth.toFixed(1)} % since warm-up); exit ${codes[results.indexOf(r)]}`,
    );
  }
  console.log(`target (zero lost, RSS growth < 10 %): ${lost === 0 && growthOk ? 'met' : 'missed'}`);
  if (lost > 0 || codes.some((code) => code !== 0)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
