import * as assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import Ajv from 'ajv';
import { escapeData, escapeProperty } from '../src/command/cli/github-format';
import { chatCompletion } from './helpers/openai';
import { record, writeLog } from './helpers/report-cli';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'build', 'src', 'command', 'cli.js');
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'sarif', 'app');
/** The OASIS SARIF 2.1.0 schema (rtm.5), as the MIT package @microsoft/jest-sarif ships it. */
const SCHEMA = path.join(ROOT, 'test', 'fixtures', 'sarif', 'sarif-schema-2.1.0.json');

interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: { text: string };
  locations: Array<{
    physicalLocation: {
      artifactLocation: { uri: string; uriBaseId?: string };
      region?: { startLine: number; startColumn?: number };
    };
  }>;
  partialFingerprints: Record<string, string>;
  baselineState?: string;
}
interface SarifLog {
  version: string;
  runs: Array<{
    tool: { driver: { name: string; version: string; informationUri: string; rules: Array<{ id: string }> } };
    invocations: Array<{ toolExecutionNotifications: Array<{ level: string; message: { text: string } }> }>;
    results: SarifResult[];
  }>;
}

const validate = (() => {
  const ajv = new Ajv({ schemaId: 'id', allErrors: true, logger: false });
  ajv.addMetaSchema(require('ajv/lib/refs/json-schema-draft-04.json') as object);
  return ajv.compile(JSON.parse(fs.readFileSync(SCHEMA, 'utf8')) as object);
})();

function assertValidSarif(text: string): SarifLog {
  const log = JSON.parse(text) as SarifLog;
  assert.ok(validate(log), `not SARIF 2.1.0: ${JSON.stringify(validate.errors, null, 2)}`);
  return log;
}

const dirs: string[] = [];

/** The fixture app in a temp dir that is its own repository root, with openai and the guard resolvable. */
function project(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-sarif-'));
  dirs.push(dir);
  fs.cpSync(FIXTURE, dir, { recursive: true });
  fs.mkdirSync(path.join(dir, '.git'));
  fs.mkdirSync(path.join(dir, 'node_modules', '@mima-governance'), { recursive: true });
  fs.symlinkSync(path.join(ROOT, 'node_modules', 'openai'), path.join(dir, 'node_modules', 'openai'));
  fs.symlinkSync(ROOT, path.join(dir, 'node_modules', '@mima-governance', 'instrumentation-guard'));
  return dir;
}

function cli(cwd: string, args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: cwd };
  for (const name of ['MIMA_GUARD_LOG_FILE', 'MIMA_DAEMON_LOG_FILE', 'GITHUB_ACTIONS']) delete env[name];
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd, env, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface Marker {
  line: number;
  column: number;
  verdict: string;
  callSite: string;
}

/** `// finding: <verdict> <call site>` above each call the output must point at (column of `client`). */
function markers(dir: string): Marker[] {
  const lines = fs.readFileSync(path.join(dir, 'src', 'app.js'), 'utf8').split('\n');
  const out: Marker[] = [];
  lines.forEach((text, i) => {
    const m = /\/\/ finding: (\w+) (\S+)/.exec(text);
    if (m)
      out.push({ line: i + 2, column: lines[i + 1].indexOf('client') + 1, verdict: m[1], callSite: m[2] });
  });
  return out;
}

function fingerprints(log: SarifLog): string[] {
  return log.runs[0].results.map((result) => result.partialFingerprints['mimaGuardFingerprint/v1']);
}

describe('mima-guard scan and report for CI (SARIF, GitHub annotations, baseline)', function () {
  this.timeout(120_000);
  after(() => {
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('scan --format sarif', () => {
    it('is valid SARIF 2.1.0 whose results point at the exact lines and columns, one rule per verdict', () => {
      const dir = project();
      const { status, stdout } = cli(dir, ['scan', '--format', 'sarif', '--fail-on-unattested']);
      assert.equal(status, 1, 'the gate keeps its exit status in every format');
      const log = assertValidSarif(stdout);
      const { driver } = log.runs[0].tool;
      assert.equal(driver.name, 'mima-guard');
      assert.equal(
        driver.version,
        (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version,
      );
      assert.match(driver.informationUri, /^https:\/\//);
      assert.deepEqual(
        driver.rules.map((rule) => rule.id),
        ['unattested', 'unknown'],
      );
      const got = log.runs[0].results.map((result) => {
        const { artifactLocation, region } = result.locations[0].physicalLocation;
        assert.deepEqual(artifactLocation, { uri: 'src/app.js', uriBaseId: '%SRCROOT%' });
        assert.equal(driver.rules[result.ruleIndex].id, result.ruleId);
        return {
          line: region?.startLine,
          column: region?.startColumn,
          verdict: result.ruleId,
          level: result.level,
        };
      });
      assert.deepEqual(
        got,
        markers(dir).map((m) => ({
          line: m.line,
          column: m.column,
          verdict: m.verdict,
          level: m.verdict === 'unattested' ? 'error' : 'warning',
        })),
      );
      assert.equal(new Set(fingerprints(log)).size, 3);
    });

    it('keeps fingerprints across lines added above and reformatting, and tells equal lines apart', () => {
      const dir = project();
      const before = assertValidSarif(cli(dir, ['scan', '--format', 'sarif']).stdout);
      const file = path.join(dir, 'src', 'app.js');
      const source = fs.readFileSync(file, 'utf8');
      fs.writeFileSync(
        file,
        '// a new first line\n\n' +
          source
            .replace(
              "return client.embeddings.create({ model: 'e', input: text });",
              "return   client.embeddings.create({ model: 'e', input: text });  ",
            )
            // The same call twice on equal lines: two findings, two fingerprints.
            .replace(
              'async function embed(text) {\n',
              'async function embed(text) {\n  client.files.list();\n  client.files.list();\n',
            ),
      );
      const after = assertValidSarif(cli(dir, ['scan', '--format', 'sarif']).stdout);
      const lines = (log: SarifLog) =>
        log.runs[0].results.map((r) => r.locations[0].physicalLocation.region?.startLine);
      assert.deepEqual(lines(before), [9, 14, 19]);
      assert.deepEqual(lines(after), [11, 15, 16, 18, 23]);
      const [summarise, first, second, embed, unknown] = fingerprints(after);
      assert.deepEqual([summarise, embed, unknown], fingerprints(before));
      assert.notEqual(first, second);
      assert.equal(first.replace(/:\d+$/, ''), second.replace(/:\d+$/, ''));
    });
  });

  describe('scan --format github', () => {
    it('prints one workflow command per finding, at the exact line and column', () => {
      const dir = project();
      const { status, stdout } = cli(dir, ['scan', '--format', 'github']);
      assert.equal(status, 0);
      const commands = stdout.split('\n').filter((line) => line.startsWith('::'));
      assert.deepEqual(
        commands.map((line) =>
          /^::(\w+) file=([^,]+),line=(\d+),col=(\d+),title=[^:]+::/.exec(line)?.slice(1),
        ),
        markers(dir).map((m) => [
          m.verdict === 'unattested' ? 'error' : 'warning',
          'src/app.js',
          String(m.line),
          String(m.column),
        ]),
      );
      assert.ok(commands.every((line, i) => line.includes(`(${markers(dir)[i].callSite})`)));
      assert.match(stdout, /^4 AI call sites: 2 unattested, 1 unknown, 1 attested/m);
    });

    it("escapes %, CR and LF in messages, and also : and , in properties (GitHub's rules)", () => {
      assert.equal(escapeData('50% a:b,c\r\nd'), '50%25 a:b,c%0D%0Ad');
      assert.equal(escapeProperty('50% a:b,c\r\nd'), '50%25 a%3Ab%2Cc%0D%0Ad');
      assert.equal(escapeProperty('%3A'), '%253A', 'a % is escaped before what it would form');
    });
  });

  describe('report --format sarif and github', () => {
    it('points at the lines a real run recorded (the fixture app in report mode, real openai)', async () => {
      const dir = project();
      const log = path.join(dir, 'guard_log.jsonl');
      const server = http.createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify(chatCompletion()));
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const { port } = server.address() as AddressInfo;
        const env = { ...process.env, HOME: dir, OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1` };
        await promisify(execFile)(process.execPath, ['run.js', log], { cwd: dir, env, timeout: 30_000 });
      } finally {
        server.close();
      }
      const expected = markers(dir)
        .filter((m) => m.verdict === 'unattested')
        .map((m) => ({ line: m.line, callSite: m.callSite }));
      const sarif = assertValidSarif(cli(dir, ['report', '--file', log, '--format', 'sarif']).stdout);
      assert.deepEqual(
        sarif.runs[0].results.map((r) => {
          const { artifactLocation, region } = r.locations[0].physicalLocation;
          assert.deepEqual(artifactLocation, { uri: 'src/app.js', uriBaseId: '%SRCROOT%' });
          return { line: region?.startLine, callSite: /to (\S+) from here/.exec(r.message.text)?.[1] };
        }),
        expected,
      );
      const github = cli(dir, ['report', '--file', log, '--format', 'github', '--fail-on-unattested']);
      assert.equal(github.status, 1);
      assert.deepEqual(
        github.stdout
          .split('\n')
          .filter((line) => line.startsWith('::'))
          .map((line) => /^::error file=src\/app.js,line=(\d+),title=[^:]*\((\S+)\)::/.exec(line)?.slice(1)),
        expected.map((m) => [String(m.line), m.callSite]),
      );
    });

    /** Records as the guard writes them, relative to the app's working directory. */
    function logFor(dir: string, extra: object[] = []): string {
      const log = path.join(dir, 'guard_log.jsonl');
      writeLog(log, [
        record({ call_site: 'openai.OpenAI.chat', code_file: 'src/app.js', code_line: 9 }),
        record({ call_site: 'openai.OpenAI.chat', code_file: 'src/app.js', code_line: 9, blocked: true }),
        record({
          call_site: 'openai.OpenAI.embeddings',
          code_file: path.join(dir, 'src', 'app.js'),
          code_line: 14,
        }),
        ...extra,
      ]);
      return log;
    }

    it('is valid SARIF: one unattested-call result per call site and location, at the line', () => {
      const dir = project();
      const log = logFor(dir);
      const { status, stdout } = cli(dir, [
        'report',
        '--file',
        log,
        '--format',
        'sarif',
        '--fail-on-unattested',
      ]);
      assert.equal(status, 1);
      const sarif = assertValidSarif(stdout);
      assert.deepEqual(
        sarif.runs[0].tool.driver.rules.map((rule) => rule.id),
        ['unattested-call'],
      );
      assert.deepEqual(
        sarif.runs[0].results.map((r) => [
          r.ruleId,
          r.locations[0].physicalLocation,
          r.message.text.split(' from')[0],
        ]),
        [
          [
            'unattested-call',
            { artifactLocation: { uri: 'src/app.js', uriBaseId: '%SRCROOT%' }, region: { startLine: 9 } },
            '2 unattested calls to openai.OpenAI.chat',
          ],
          [
            'unattested-call',
            { artifactLocation: { uri: 'src/app.js', uriBaseId: '%SRCROOT%' }, region: { startLine: 14 } },
            '1 unattested call to openai.OpenAI.embeddings',
          ],
        ],
      );
      assert.deepEqual(sarif.runs[0].invocations[0].toolExecutionNotifications, []);
    });

    it('says dropped records and calls without a location, and still fails the gate on them', () => {
      const dir = project();
      const log = logFor(dir, [
        record({ call_site: 'openai.OpenAI.chat', code_file: null, code_line: null }),
        { type: 'dropped', count: 2, reason: 'queue-full', ts: '2026-11-20T10:00:00.000Z' },
      ]);
      const sarifRun = cli(dir, ['report', '--file', log, '--format', 'sarif']);
      const sarif = assertValidSarif(sarifRun.stdout);
      const located = sarif.runs[0].results.filter((r) => r.locations.length === 0);
      assert.equal(located.length, 1, 'the call with no code location is a result without a location');
      assert.match(
        sarif.runs[0].invocations[0].toolExecutionNotifications[0].message.text,
        /2 records were lost/,
      );
      const github = cli(dir, ['report', '--file', log, '--format', 'github', '--fail-on-unattested']);
      assert.equal(github.status, 1);
      assert.match(github.stdout, /^::error title=mima-guard report::2 records were lost/m);
      assert.match(
        github.stdout,
        /^::error title=[^:]*\(openai.OpenAI.chat\)::1 unattested call to openai.OpenAI.chat/m,
      );
    });

    it('prints annotations at the lines the calls came from (no column: records have none)', () => {
      const dir = project();
      const { status, stdout } = cli(dir, ['report', '--file', logFor(dir), '--format', 'github']);
      assert.equal(status, 0);
      const commands = stdout.split('\n').filter((line) => line.startsWith('::'));
      assert.deepEqual(
        commands.map((line) =>
          /^::error file=src\/app.js,line=(\d+),title=[^:]+::(\d+) unattested/.exec(line)?.slice(1),
        ),
        [
          ['9', '2'],
          ['14', '1'],
        ],
      );
    });
    it("cannot forge a workflow command or hang on a log's paths (a FIFO, a device)", () => {
      const dir = project();
      const log = path.join(dir, 'guard_log.jsonl');
      assert.equal(spawnSync('mkfifo', [path.join(dir, 'src', 'pipe.js')]).status, 0);
      writeLog(log, [
        record({ call_site: 'x\n::add-mask::secret', code_file: 'src/a,line=1::b%.js', code_line: 3 }),
        record({ code_file: 'src/pipe.js', code_line: 1 }),
        record({ code_file: '/dev/zero', code_line: 1 }),
      ]);
      const { status, stdout } = cli(dir, ['report', '--file', log, '--format', 'github']);
      assert.equal(status, 0, 'no hang on the FIFO, no read of /dev/zero');
      const lines = stdout.trim().split('\n');
      assert.ok(lines.every((line) => !line.startsWith('::add-mask')));
      const forged = lines.find((line) => line.includes('add-mask'));
      assert.ok(forged?.startsWith('::error file=src/a%2Cline=1%3A%3Ab%25.js,line=3,title='), forged);
      assert.match(forged ?? '', /\(x\\u000a%3A%3Aadd-mask%3A%3Asecret\)::/);
      assert.ok(lines.some((line) => line.startsWith('::error file=/dev/zero,line=1,')));
      assert.ok(lines.some((line) => line.startsWith('::error file=src/pipe.js,line=1,')));
    });
  });

  describe('--baseline', () => {
    it('scan: fails only on a new unattested call, and lists a removed one as fixed', () => {
      const dir = project();
      const written = cli(dir, ['scan', '--baseline-write', 'mima-baseline.json', '--fail-on-unattested']);
      assert.equal(written.status, 0, written.stderr);
      assert.match(written.stderr, /wrote the baseline mima-baseline.json with 2 findings/);
      assert.equal(cli(dir, ['scan', '--baseline', 'mima-baseline.json', '--fail-on-unattested']).status, 0);

      const file = path.join(dir, 'src', 'app.js');
      const source = fs.readFileSync(file, 'utf8');
      fs.writeFileSync(
        file,
        source.replace(
          'module.exports = {',
          'async function moderate(text) {\n  return client.moderations.create({ input: text });\n}\n\nmodule.exports = { moderate,',
        ),
      );
      const added = cli(dir, ['scan', '--baseline', 'mima-baseline.json', '--fail-on-unattested']);
      assert.equal(added.status, 1, added.stdout + added.stderr);
      const newLines = added.stdout.split('\n').filter((line) => line.startsWith('  new'));
      assert.equal(newLines.length, 1);
      assert.match(newLines[0], /src\/app.js:26 {2}openai.OpenAI.moderations/);
      assert.match(added.stdout, /baseline mima-baseline.json: 1 new, 2 known, 0 fixed/);
      const sarif = assertValidSarif(
        cli(dir, ['scan', '--baseline', 'mima-baseline.json', '--format', 'sarif']).stdout,
      );
      assert.deepEqual(
        sarif.runs[0].results.map((r) => r.baselineState),
        ['unchanged', 'unchanged', undefined, 'new'],
      );
      const github = cli(dir, ['scan', '--baseline', 'mima-baseline.json', '--format', 'github']).stdout;
      assert.deepEqual(
        github
          .split('\n')
          .filter((line) => line.startsWith('::error'))
          .map((line) => /line=(\d+)/.exec(line)?.[1]),
        ['26'],
        'only the new call is annotated as an error',
      );

      // Back to the original, without embed()'s call: nothing new, embed's entry fixed.
      fs.writeFileSync(
        file,
        source.replace("return client.embeddings.create({ model: 'e', input: text });", 'return text;'),
      );
      const removed = cli(dir, [
        'scan',
        '--baseline',
        'mima-baseline.json',
        '--fail-on-unattested',
        '--json',
      ]);
      assert.equal(removed.status, 0, removed.stdout + removed.stderr);
      const { baseline } = JSON.parse(removed.stdout) as {
        baseline: {
          known: number;
          new: unknown[];
          fixed: Array<{ call_site: string; file: string; line: number }>;
        };
      };
      assert.equal(baseline.known, 1);
      assert.deepEqual(baseline.new, []);
      assert.deepEqual(
        baseline.fixed.map((entry) => [entry.call_site, entry.file, entry.line]),
        [['openai.OpenAI.embeddings', 'src/app.js', 14]],
      );
    });

    it('report: fails only on a call from a new place; a place no longer seen is fixed', () => {
      const dir = project();
      const log = path.join(dir, 'guard_log.jsonl');
      const chat = record({ call_site: 'openai.OpenAI.chat', code_file: 'src/app.js', code_line: 9 });
      const embed = record({ call_site: 'openai.OpenAI.embeddings', code_file: 'src/app.js', code_line: 14 });
      writeLog(log, [chat, embed]);
      assert.equal(cli(dir, ['report', '--file', log, '--baseline-write', 'report-baseline.json']).status, 0);

      const files = record({ call_site: 'openai.OpenAI.files', code_file: 'src/app.js', code_line: 19 });
      writeLog(log, [chat, embed, record({ ...chat, id: 'again' }), files]);
      const added = cli(dir, [
        'report',
        '--file',
        log,
        '--baseline',
        'report-baseline.json',
        '--fail-on-unattested',
      ]);
      assert.equal(added.status, 1);
      assert.deepEqual(
        added.stdout.split('\n').filter((line) => /^ {2}(new|fixed)/.test(line)),
        ['  new    src/app.js:19  openai.OpenAI.files'],
      );

      writeLog(log, [chat]);
      const fixed = cli(dir, [
        'report',
        '--file',
        log,
        '--baseline',
        'report-baseline.json',
        '--fail-on-unattested',
      ]);
      assert.equal(fixed.status, 0, fixed.stdout);
      assert.deepEqual(
        fixed.stdout.split('\n').filter((line) => /^ {2}(new|fixed)/.test(line)),
        ['  fixed  src/app.js:14  openai.OpenAI.embeddings'],
      );
      // A dropped record is a call no baseline can know: the gate still fails on it.
      writeLog(log, [
        chat,
        { type: 'dropped', count: 1, reason: 'queue-full', ts: '2026-11-20T10:00:00.000Z' },
      ]);
      assert.equal(
        cli(dir, ['report', '--file', log, '--baseline', 'report-baseline.json', '--fail-on-unattested'])
          .status,
        1,
      );
    });

    it('exits 2 on a baseline that is missing, not a baseline, or of the other command', () => {
      const dir = project();
      const log = path.join(dir, 'guard_log.jsonl');
      writeLog(log, [record()]);
      const missing = cli(dir, ['report', '--file', log, '--baseline', 'nope.json', '--fail-on-unattested']);
      assert.equal(missing.status, 2);
      assert.match(missing.stderr, /cannot read the baseline \S*nope\.json: ENOENT/);
      fs.writeFileSync(path.join(dir, 'other.json'), '{"entries":[]}');
      assert.equal(cli(dir, ['report', '--file', log, '--baseline', 'other.json']).status, 2);
      assert.equal(cli(dir, ['report', '--file', log, '--baseline-write', 'r.json']).status, 0);
      const wrong = cli(dir, ['scan', '--baseline', 'r.json']);
      assert.equal(wrong.status, 2);
      assert.match(wrong.stderr, /is a baseline of "mima-guard report", not of scan/);
      assert.equal(cli(dir, ['report', '--file', log, '--json', '--format', 'sarif']).status, 2);
      assert.equal(cli(dir, ['report', '--file', log, '--format', 'xml']).status, 2);
    });
  });
});
