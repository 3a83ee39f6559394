import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { once } from 'node:events';
import { resolveConfig } from '../src/app/config';
import { encodeRecords } from '../src/app/daemon-wire/protocol';
import type { DetectionRecord } from '../src/app/types';
import { captureDiag } from './helpers/diag';
import { readLogRecords } from './helpers/log-lines';
import { tempDir as makeTempDir } from './helpers/temp-dir';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'build', 'src', 'command', 'cli.js');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'cli');
const DAEMON_SERVER = path.join(ROOT, 'build', 'src', 'command', 'daemon', 'server.js');

/** A fresh HOME: os.homedir() follows it, so ~/.mima is private to the test. */
function tempHome(): string {
  return makeTempDir('mcl-');
}

/** The environment without the variables that would point the CLI away from HOME. */
function cliEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, ...extra };
  for (const name of [
    'MIMA_GUARD_LOG_FILE',
    'MIMA_DAEMON_LOG_FILE',
    'MIMA_DAEMON_SOCKET',
    'MIMA_WORKSPACE_ID',
  ]) {
    if (!(name in extra)) delete env[name];
  }
  delete env.OTEL_EXPORTER_OTLP_ENDPOINT;
  return env;
}

function runCli(args: string[], home = tempHome(), extra: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, [CLI, ...args], { env: cliEnv(home, extra), encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A HOME whose ~/.mima holds the fixture logs: guard_log.jsonl with .1 and .2, and daemon_log.jsonl. */
function homeWithFixtureLogs(): string {
  const home = tempHome();
  fs.mkdirSync(path.join(home, '.mima'));
  for (const name of fs.readdirSync(FIXTURES)) {
    fs.copyFileSync(path.join(FIXTURES, name), path.join(home, '.mima', name));
  }
  return home;
}

function record(overrides: Partial<DetectionRecord>): DetectionRecord {
  return {
    ts: new Date().toISOString(),
    call_site: 'openai.chat.completions.create',
    attested: false,
    mode: 'warn',
    blocked: false,
    code_file: 'app.js',
    code_line: 1,
    workspace_id: null,
    pid: 1,
    id: `id-${Math.random()}`,
    ...overrides,
  };
}

function writeLog(file: string, lines: object[]): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, lines.map((line) => JSON.stringify(line) + '\n').join(''));
}

interface ReportJson {
  files: string[];
  since: string | null;
  unattested: number;
  dropped: number;
  duplicates: number;
  malformed: number;
  groups: Array<{
    call_site: string;
    code_location: string;
    count: number;
    blocked: number;
    first_seen: string;
    last_seen: string;
  }>;
}

function reportJson(args: string[], home: string, extra: NodeJS.ProcessEnv = {}): ReportJson {
  const result = runCli(['report', '--json', ...args], home, extra);
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as ReportJson;
}

describe('mima-guard command line', () => {
  describe('usage', () => {
    it('lists the commands on --help and exits 0', () => {
      const result = runCli(['--help']);
      assert.equal(result.status, 0);
      assert.match(result.stdout, /^Usage: mima-guard <command> \[options\]/);
      for (const name of ['daemon', 'report', 'login'])
        assert.match(result.stdout, new RegExp(`^  ${name} `, 'm'));
    });

    it('prints usage to stderr and exits 2 when no command is given', () => {
      const result = runCli([]);
      assert.equal(result.status, 2);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, /Usage: mima-guard <command>/);
    });

    for (const command of ['daemon', 'report', 'login']) {
      it(`shows the ${command} command's own usage on --help and -h`, () => {
        for (const flag of ['--help', '-h']) {
          const result = runCli([command, flag]);
          assert.equal(result.status, 0, result.stderr);
          assert.match(result.stdout, new RegExp(`^Usage: mima-guard ${command} `));
        }
      });
    }

    it('exits 2 naming an unknown command and pointing at --help', () => {
      const result = runCli(['repport']);
      assert.equal(result.status, 2);
      assert.equal(result.stderr, 'mima-guard: unknown command "repport"; see "mima-guard --help"\n');
    });

    it('exits 2 naming an unknown flag and pointing at the command help', () => {
      for (const command of ['daemon', 'report', 'login']) {
        const result = runCli([command, '--frobnicate']);
        assert.equal(result.status, 2, command);
        assert.match(
          result.stderr,
          new RegExp(`^mima-guard ${command}: .*'--frobnicate'.*${command} --help`),
        );
      }
    });

    it('exits 2 on a stray positional argument or a flag missing its value', () => {
      const stray = runCli(['report', 'extra']);
      assert.equal(stray.status, 2);
      assert.match(stray.stderr, /Unexpected argument 'extra'/);
      const missing = runCli(['report', '--file']);
      assert.equal(missing.status, 2);
      assert.match(missing.stderr, /--file <value>' argument missing/);
    });
  });

  describe('report', () => {
    it('reads the guard log, its rotated backups and the daemon log, counting each record id once', () => {
      const home = homeWithFixtureLogs();
      const report = reportJson([], home);
      const mima = path.join(home, '.mima');
      assert.deepEqual(report.files, [
        path.join(mima, 'guard_log.jsonl.2'),
        path.join(mima, 'guard_log.jsonl.1'),
        path.join(mima, 'guard_log.jsonl'),
        path.join(mima, 'daemon_log.jsonl'),
      ]);
      assert.equal(report.unattested, 6);
      assert.equal(report.duplicates, 2);
      assert.equal(report.since, null);
    });

    it('groups by call site and code location with count, blocked count and first and last seen', () => {
      const report = reportJson([], homeWithFixtureLogs());
      assert.deepEqual(report.groups, [
        {
          call_site: 'openai.chat.completions.create',
          code_location: 'src/app.js:10',
          count: 3,
          blocked: 0,
          first_seen: '2026-01-01T10:00:00.000Z',
          last_seen: '2026-01-05T08:00:00.000Z',
        },
        {
          call_site: 'anthropic.messages.create',
          code_location: 'src/worker.js:5',
          count: 1,
          blocked: 1,
          first_seen: '2026-01-03T00:00:00.000Z',
          last_seen: '2026-01-03T00:00:00.000Z',
        },
        {
          call_site: 'openai.chat.completions.create',
          code_location: '(unknown)',
          count: 1,
          blocked: 0,
          first_seen: '2026-01-06T00:00:00.000Z',
          last_seen: '2026-01-06T00:00:00.000Z',
        },
        {
          call_site: 'openai.embeddings.create',
          code_location: 'jobs/embed.js:22',
          count: 1,
          blocked: 0,
          first_seen: '2026-01-04T00:00:00.000Z',
          last_seen: '2026-01-04T00:00:00.000Z',
        },
      ]);
    });

    it('counts dropped markers by their count and malformed lines instead of failing on them', () => {
      const report = reportJson([], homeWithFixtureLogs());
      assert.equal(report.dropped, 3);
      assert.equal(report.malformed, 1);
    });

    it('prints an aligned table for people, with the dropped and malformed counts', () => {
      const result = runCli(['report'], homeWithFixtureLogs());
      assert.equal(result.status, 0, result.stderr);
      const lines = result.stdout.split('\n');
      assert.match(lines[0], /^6 unattested calls in 4 places \(read .*guard_log\.jsonl\.2, /);
      const header = lines[2];
      assert.match(header, /^CALL SITE +CODE LOCATION +COUNT +BLOCKED +FIRST SEEN +LAST SEEN$/);
      const rows = lines.slice(3, 7);
      assert.match(
        rows[0],
        /^openai\.chat\.completions\.create +src\/app\.js:10 +3 +0 +2026-01-01T10:00:00\.000Z +2026-01-05T08:00:00\.000Z$/,
      );
      // Aligned: every row's first-seen column starts where its header does; counts are right-aligned.
      const firstSeenAt = header.indexOf('FIRST SEEN');
      const countEndsAt = header.indexOf('COUNT') + 'COUNT'.length;
      for (const row of rows) {
        assert.match(row.slice(firstSeenAt), /^2026-/, row);
        assert.match(row.slice(0, countEndsAt), /\d$/, row);
      }
      assert.match(result.stdout, /^dropped 3 \(records lost before they reached the log\): 3 unspecified$/m);
      assert.match(result.stdout, /^malformed 1 /m);
      assert.match(result.stdout, /^duplicates 2 /m);
    });

    it('keeps only calls at or after an ISO --since, dropped markers included', () => {
      const report = reportJson(['--since', '2026-01-04'], homeWithFixtureLogs());
      assert.equal(report.since, '2026-01-04T00:00:00.000Z');
      assert.equal(report.unattested, 3);
      assert.equal(report.dropped, 0);
      const appGroup = report.groups.find((group) => group.code_location === 'src/app.js:10');
      assert.deepEqual([appGroup?.count, appGroup?.first_seen], [1, '2026-01-05T08:00:00.000Z']);
    });

    it('reads a duration --since back from now', () => {
      const home = tempHome();
      const log = path.join(home, 'custom.jsonl');
      const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000).toISOString();
      writeLog(log, [record({ ts: hoursAgo(2), id: 'recent' }), record({ ts: hoursAgo(72), id: 'old' })]);
      assert.equal(reportJson(['--file', log, '--since', '24h'], home).unattested, 1);
      assert.equal(reportJson(['--file', log, '--since', '7d'], home).unattested, 2);
    });

    it('exits 2 on a --since that is neither a duration nor an ISO date', () => {
      const result = runCli(['report', '--since', 'yesterday']);
      assert.equal(result.status, 2);
      assert.match(result.stderr, /--since "yesterday" is neither a duration \(30m, 24h, 7d, 2w\)/);
    });

    it('reads only the --file logs given (repeatable), and MIMA_GUARD_LOG_FILE by default', () => {
      const home = homeWithFixtureLogs();
      const own = path.join(home, 'own.jsonl');
      writeLog(own, [record({ id: 'own-1' })]);
      assert.equal(reportJson(['--file', own], home).unattested, 1);
      const daemonLog = path.join(home, '.mima', 'daemon_log.jsonl');
      assert.equal(reportJson(['--file', own, '--file', daemonLog], home).unattested, 3);
      const fromEnv = reportJson([], home, { MIMA_GUARD_LOG_FILE: own });
      assert.deepEqual(fromEnv.files, [own, daemonLog]);
    });

    it('--fail-on-unattested exits 1 when unattested calls are found and 0 when none are', () => {
      const home = homeWithFixtureLogs();
      const found = runCli(['report', '--fail-on-unattested'], home);
      assert.equal(found.status, 1);
      assert.match(found.stdout, /^6 unattested calls/);
      // Nothing unattested since 2030, but the fixture's unreadable line may be a record of any
      // date: the gate does not pass on it (a clean log passes: cli-gate.test.ts).
      const since = runCli(['report', '--fail-on-unattested', '--since', '2030-01-01'], home);
      assert.equal(since.status, 1);
      assert.match(since.stdout, /^0 unattested calls/);
      assert.equal(runCli(['report', '--fail-on-unattested', '--json'], home).status, 1);
      // No log at all is no pass: test/cli-gate.test.ts has the rules.
      const empty = runCli(['report', '--fail-on-unattested'], tempHome());
      assert.equal(empty.status, 2);
      assert.match(empty.stdout, /^No log files found/);
    });

    it('--fail-on-unattested exits 1 on dropped records alone, since they were unattested calls', () => {
      const home = tempHome();
      const log = path.join(home, 'only-dropped.jsonl');
      writeLog(log, [{ type: 'dropped', count: 2, ts: new Date().toISOString() }]);
      const result = runCli(['report', '--file', log, '--fail-on-unattested'], home);
      assert.equal(result.status, 1);
      assert.match(result.stdout, /^0 unattested calls/);
      assert.match(result.stdout, /^dropped 2 .*: 2 unspecified$/m);
    });
  });

  describe('login', () => {
    const configOf = (home: string) => path.join(home, '.mima', 'config.json');

    it('writes ~/.mima/config.json with the workspace id, file 0600 in a 0700 directory', () => {
      const home = tempHome();
      const result = runCli(['login', '--workspace-id', 'ws_prod-1.eu'], home);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout, `Logged in to workspace ws_prod-1.eu (wrote ${configOf(home)})\n`);
      assert.deepEqual(JSON.parse(fs.readFileSync(configOf(home), 'utf8')), { workspace_id: 'ws_prod-1.eu' });
      assert.equal(fs.statSync(configOf(home)).mode & 0o777, 0o600);
      assert.equal(fs.statSync(path.dirname(configOf(home))).mode & 0o777, 0o700);
    });

    it('tightens an existing ~/.mima to 0700 and keeps the config file other keys', () => {
      const home = tempHome();
      fs.mkdirSync(path.join(home, '.mima'), { mode: 0o755 });
      fs.chmodSync(path.join(home, '.mima'), 0o755);
      fs.writeFileSync(configOf(home), JSON.stringify({ workspace_id: 'old', region: 'eu' }), {
        mode: 0o644,
      });
      assert.equal(runCli(['login', '--workspace-id', 'new'], home).status, 0);
      assert.deepEqual(JSON.parse(fs.readFileSync(configOf(home), 'utf8')), {
        workspace_id: 'new',
        region: 'eu',
      });
      assert.equal(fs.statSync(configOf(home)).mode & 0o777, 0o600);
      assert.equal(fs.statSync(path.dirname(configOf(home))).mode & 0o777, 0o700);
      assert.deepEqual(fs.readdirSync(path.dirname(configOf(home))), ['config.json']);
    });

    it('replaces a malformed config file, saying so on stderr', () => {
      const home = tempHome();
      fs.mkdirSync(path.join(home, '.mima'));
      fs.writeFileSync(configOf(home), '{"workspace_id": ');
      const result = runCli(['login', '--workspace-id', 'ws-2'], home);
      assert.equal(result.status, 0);
      assert.match(result.stderr, /config\.json was not a JSON object; replacing it/);
      assert.deepEqual(JSON.parse(fs.readFileSync(configOf(home), 'utf8')), { workspace_id: 'ws-2' });
    });

    it('exits 2 without writing on a missing, empty or badly formed workspace id', () => {
      const home = tempHome();
      const missing = runCli(['login'], home);
      assert.equal(missing.status, 2);
      assert.match(missing.stderr, /--workspace-id is required/);
      for (const id of ['', 'has space', '-leading-dash', 'semi;colon', 'x'.repeat(129)]) {
        const result = runCli(['login', `--workspace-id=${id}`], home);
        assert.equal(result.status, 2, id);
        assert.match(result.stderr, /invalid workspace id .*: use letters, digits, '\.', '_' and '-'/, id);
      }
      assert.equal(fs.existsSync(path.join(home, '.mima')), false);
    });
  });

  describe('the guard reading the config that login writes', () => {
    let savedHome: string | undefined;
    beforeEach(() => {
      savedHome = process.env.HOME;
    });
    afterEach(() => {
      process.env.HOME = savedHome;
    });

    it('takes the workspace id login stored', () => {
      const home = tempHome();
      assert.equal(runCli(['login', '--workspace-id', 'ws-roundtrip'], home).status, 0);
      process.env.HOME = home;
      assert.equal(resolveConfig({}, {}).workspaceId, 'ws-roundtrip');
    });

    it('warns once through diag on a malformed config file and carries on without a workspace id', async () => {
      const home = tempHome();
      fs.mkdirSync(path.join(home, '.mima'));
      fs.writeFileSync(path.join(home, '.mima', 'config.json'), '{"workspace_id": "ws-1",}');
      process.env.HOME = home;
      const messages = await captureDiag(() => {
        assert.equal(resolveConfig({}, {}).workspaceId, null);
        assert.equal(resolveConfig({}, {}).workspaceId, null);
      });
      assert.equal(messages.length, 1, messages.join('\n'));
      assert.match(messages[0], /ignoring .*config\.json: it is not valid JSON/);
    });

    it('stays silent when there is no config file', async () => {
      process.env.HOME = tempHome();
      const messages = await captureDiag(() => assert.equal(resolveConfig({}, {}).workspaceId, null));
      assert.deepEqual(messages, []);
    });
  });

  describe('daemon', () => {
    const itWithServer = fs.existsSync(DAEMON_SERVER) ? it : it.skip;

    /** Starts `mima-guard daemon` and resolves once it has printed its one line. */
    async function startDaemonCli(args: string[], env: NodeJS.ProcessEnv) {
      const child = spawn(process.execPath, [CLI, 'daemon', ...args], { env });
      const output = { stdout: '', stderr: '' };
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output.stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output.stderr += chunk));
      const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
      while (!output.stdout.includes('\n')) {
        if (child.exitCode !== null) assert.fail(`daemon exited early: ${output.stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return { child, output, exited };
    }

    itWithServer(
      'listens, writes acknowledged records to its log, and drains and exits 0 on SIGTERM',
      async () => {
        const home = tempHome();
        const socketPath = path.join(home, 'd.sock');
        const logFile = path.join(home, 'daemon.jsonl');
        const daemon = await startDaemonCli(['--socket', socketPath, '--log-file', logFile], cliEnv(home));
        try {
          assert.equal(
            daemon.output.stdout,
            `mima-guard daemon listening on ${socketPath}, writing ${logFile}\n`,
          );
          const sent = record({ id: 'via-daemon' });
          const socket = net.createConnection(socketPath);
          await once(socket, 'connect');
          socket.write(encodeRecords(7, [sent]));
          const [reply] = (await once(socket.setEncoding('utf8'), 'data')) as [string];
          assert.deepEqual(JSON.parse(reply.split('\n')[0]), { v: 1, type: 'ack', seq: 7 });
          socket.end();

          daemon.child.kill('SIGTERM');
          assert.deepEqual(await daemon.exited, [0, null], daemon.output.stderr);
          const written = readLogRecords(logFile);
          assert.deepEqual(
            written.filter((line) => line.id === sent.id),
            [sent],
          );
        } finally {
          if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
        }
      },
    );

    itWithServer(
      'takes its socket and log from MIMA_DAEMON_SOCKET and MIMA_DAEMON_LOG_FILE, and exits 0 on SIGINT',
      async () => {
        const home = tempHome();
        const socketPath = path.join(home, 'env.sock');
        const logFile = path.join(home, 'env.jsonl');
        const env = cliEnv(home, { MIMA_DAEMON_SOCKET: socketPath, MIMA_DAEMON_LOG_FILE: logFile });
        const daemon = await startDaemonCli([], env);
        try {
          assert.equal(
            daemon.output.stdout,
            `mima-guard daemon listening on ${socketPath}, writing ${logFile}\n`,
          );
          daemon.child.kill('SIGINT');
          assert.deepEqual(await daemon.exited, [0, null], daemon.output.stderr);
        } finally {
          if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
        }
      },
    );

    itWithServer(
      'rotates its log before it passes --max-bytes, keeping --backups rotated files',
      async () => {
        const home = tempHome();
        const socketPath = path.join(home, 'd.sock');
        const logFile = path.join(home, 'daemon.jsonl');
        const daemon = await startDaemonCli(
          ['--socket', socketPath, '--log-file', logFile, '--max-bytes', '2000', '--backups', '2'],
          cliEnv(home),
        );
        try {
          const socket = net.createConnection(socketPath);
          await once(socket, 'connect');
          socket.setEncoding('utf8');
          let acks = 0;
          socket.on('data', (chunk: string) => (acks += chunk.split('"ack"').length - 1));
          // 36 records of about 250 bytes: 9 KB, past the 2,000-byte cap several times over.
          for (let seq = 1; seq <= 12; seq++) {
            socket.write(
              encodeRecords(
                seq,
                [1, 2, 3].map((n) => record({ id: `rot-${seq}-${n}` })),
              ),
            );
          }
          while (acks < 12) await new Promise((resolve) => setTimeout(resolve, 20));
          socket.end();
          daemon.child.kill('SIGTERM');
          assert.deepEqual(await daemon.exited, [0, null], daemon.output.stderr);
          const files = [logFile, `${logFile}.1`, `${logFile}.2`];
          for (const file of files) {
            assert.ok(fs.existsSync(file), `${file} exists`);
            assert.ok(fs.statSync(file).size <= 2000, `${file}: ${fs.statSync(file).size} bytes`);
          }
          assert.ok(!fs.existsSync(`${logFile}.3`), 'no third backup is kept');
        } finally {
          if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
        }
      },
    );

    it('exits 2 naming a bad --max-bytes or --backups before starting anything', () => {
      for (const [flag, value, min] of [
        ['--max-bytes', '0', 1],
        ['--max-bytes', '10MB', 1],
        ['--backups', '1.5', 0],
      ] as const) {
        const result = runCli(['daemon', flag, value]);
        assert.equal(result.status, 2, `${flag} ${value}`);
        assert.ok(
          result.stderr.includes(`${flag} must be a whole number >= ${min}; got "${value}"`),
          result.stderr,
        );
      }
    });

    it('exits 2 naming an unknown daemon flag before starting anything', () => {
      const result = runCli(['daemon', '--port', '9']);
      assert.equal(result.status, 2);
      assert.match(result.stderr, /Unknown option '--port'/);
    });
  });
});
