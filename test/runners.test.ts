import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Mode } from '../src/app/types';
import { ROOT } from './helpers/guard';
import { readLogRecords } from './helpers/log-lines';
import { childEnv, runNode } from './helpers/node-child';
import { guardInstalledWithMockOpenAI, lineOf } from './helpers/runner-project';

/**
 * The CI gate under the real test runners (root devDependencies), each over a fixture project in
 * test/fixtures/runners/<runner> with one attested and one unattested call of the real openai
 * client: the README's "Use in CI" recipes, run as written.
 */
const PROJECTS = path.join(ROOT, 'test', 'fixtures', 'runners');
const MARKER = '// unattested';

interface Outcome {
  title: string;
  passed: boolean;
  failure: string;
}

interface Runner {
  name: string;
  version: string;
  /** Fixture directory under test/fixtures/runners; the runner's working directory. */
  dir: string;
  spec: string;
  /** node arguments; `out` is a file for the runner's JSON report. */
  args(out: string): string[];
  env?: Record<string, string>;
  outcomes(stdout: string, out: string): Outcome[];
}

const bin = (...parts: string[]) => path.join(ROOT, 'node_modules', ...parts);
const version = (name: string) =>
  (JSON.parse(fs.readFileSync(bin(name, 'package.json'), 'utf8')) as { version: string }).version;
const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));

/** Jest's --json and Vitest's json reporter share a format. */
function jestLikeOutcomes(out: string): Outcome[] {
  const report = readJson(out) as {
    testResults: Array<{
      assertionResults: Array<{ title: string; status: string; failureMessages: string[] }>;
    }>;
  };
  return report.testResults.flatMap((file) =>
    file.assertionResults.map((test) => ({
      title: test.title,
      passed: test.status === 'passed',
      failure: test.failureMessages.join('\n'),
    })),
  );
}

/** The tests inside the fixture's one describe block (indented by 4) and their YAML blocks. */
function tapOutcomes(stdout: string): Outcome[] {
  const outcomes: Outcome[] = [];
  for (const line of stdout.split('\n')) {
    const result = /^ {4}(ok|not ok) \d+ - (.+)$/.exec(line);
    if (result) outcomes.push({ title: result[2], passed: result[1] === 'ok', failure: '' });
    else if (outcomes.length > 0 && line.startsWith('      '))
      outcomes[outcomes.length - 1].failure += `${line}\n`;
  }
  return outcomes.map((outcome) => ({ ...outcome, failure: outcome.passed ? '' : outcome.failure }));
}

/**
 * Jest (`jest` is 30, `jest29` the npm alias of jest@29) over a fixture; ES module spec files run
 * in Jest's ES module mode. Source maps are on, as the README says, for the test file's own lines
 * (babel-jest moves them). Not `--no-warnings=ExperimentalWarning`: Node ignores the value and
 * hides every warning, the guard's with them.
 */
function jestRunner(pkg: 'jest' | 'jest29', name: string, dir: string, spec: string): Runner {
  const esm = spec.endsWith('.mjs');
  return {
    name,
    version: version(pkg),
    dir,
    spec,
    args: (out) => [
      ...(esm ? ['--experimental-vm-modules', '--disable-warning=ExperimentalWarning'] : []),
      '--enable-source-maps',
      bin(pkg, 'bin', 'jest.js'),
      '--ci',
      '--no-watchman',
      '--json',
      `--outputFile=${out}`,
      spec,
    ],
    outcomes: (_stdout, out) => jestLikeOutcomes(out),
  };
}

const RUNNERS: Runner[] = [
  {
    name: 'mocha --require',
    version: version('mocha'),
    dir: 'mocha',
    spec: 'ai.spec.js',
    // The fixture's .mocharc.yml has `require: @mima-governance/instrumentation-guard/register`.
    args: (out) => [
      bin('mocha', 'bin', 'mocha.js'),
      '--reporter',
      'json',
      '--reporter-option',
      `output=${out}`,
    ],
    // mocha resolves --require from its own directory, the project's node_modules in an app; here
    // mocha lives in the repo's node_modules and the guard in the fixture's.
    env: { NODE_PATH: path.join(PROJECTS, 'node_modules') },
    outcomes: (_stdout, out) =>
      (
        readJson(out) as { tests: Array<{ title: string; err: { message?: string; stack?: string } }> }
      ).tests.map((test) => ({
        title: test.title,
        passed: test.err.message === undefined,
        failure: test.err.stack ?? '',
      })),
  },
  jestRunner('jest', 'Jest setupFiles', 'jest', 'ai.spec.js'),
  jestRunner('jest', 'Jest setupFiles, --experimental-vm-modules', 'jest-esm', 'ai.spec.mjs'),
  jestRunner('jest', 'Jest setupFiles: [guard/jest], one line', 'jest-one-line', 'ai.spec.js'),
  jestRunner(
    'jest',
    'Jest setupFiles: [guard/jest], one line, --experimental-vm-modules',
    'jest-one-line-esm',
    'ai.spec.mjs',
  ),
  jestRunner('jest29', 'Jest 29 setupFiles: [guard/jest], one line', 'jest-one-line', 'ai.spec.js'),
  jestRunner(
    'jest29',
    'Jest 29 setupFiles: [guard/jest], one line, --experimental-vm-modules',
    'jest-one-line-esm',
    'ai.spec.mjs',
  ),
  {
    name: 'Vitest setupFiles',
    version: version('vitest'),
    dir: 'vitest',
    spec: 'ai.spec.mjs',
    args: (out) => [bin('vitest', 'vitest.mjs'), 'run', '--reporter=json', `--outputFile=${out}`],
    outcomes: (_stdout, out) => jestLikeOutcomes(out),
  },
  {
    name: 'node --test --import',
    version: process.version,
    dir: 'node-test',
    spec: 'ai.spec.mjs',
    args: () => [
      '--test',
      '--import',
      '@mima-governance/instrumentation-guard/register',
      '--test-reporter=tap',
      'ai.spec.mjs',
    ],
    outcomes: (stdout) => tapOutcomes(stdout),
  },
];

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  outcomes: Outcome[];
  logFile: string;
}

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-runners-'));

function runRunner(runner: Runner, mode: Mode, mock: { url: string }): Promise<Run> {
  const label = `${runner.dir}-${runner.version}-${mode}`; // two Jests run one fixture
  const out = path.join(TMP, `${label}.json`);
  const logFile = path.join(TMP, `${label}.jsonl`);
  // childEnv drops NODE_V8_COVERAGE: coverage is measured on build/src; these processes run the installed copy.
  const env = childEnv({
    MIMA_GUARD_MODE: mode,
    MIMA_GUARD_LOG_FILE: logFile,
    MIMA_DAEMON_SOCKET: path.join(TMP, 'no-daemon.sock'),
    OPENAI_BASE_URL: mock.url,
    OPENAI_API_KEY: 'test',
    NO_COLOR: '1',
    FORCE_COLOR: '0',
    CI: 'true',
    ...runner.env,
  });
  const child = spawn(process.execPath, runner.args(out), {
    cwd: path.join(PROJECTS, runner.dir),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => {
      try {
        resolve({ status, stdout, stderr, outcomes: runner.outcomes(stdout, out), logFile });
      } catch (error) {
        reject(
          new Error(
            `${runner.name} left no readable report (${String(error)}); exit ${status}\n${stdout}\n${stderr}`,
          ),
        );
      }
    });
  });
}

describe('CI gate under the real test runners (test/fixtures/runners)', function () {
  this.timeout(60_000);
  this.slow(10_000);
  const mock = guardInstalledWithMockOpenAI(PROJECTS);
  after(() => fs.rmSync(TMP, { recursive: true, force: true }));

  for (const runner of RUNNERS) {
    describe(`${runner.name} (${runner.dir})`, () => {
      const specFile = () => path.join(PROJECTS, runner.dir, runner.spec);
      const where = () => `${runner.spec}:${lineOf(specFile(), MARKER)}`;

      it('block mode: the run fails, only the unattested test fails, naming the error, call site and line', async () => {
        const before = mock.requests;
        const run = await runRunner(runner, 'block', mock);
        const context = `${runner.name} exited ${run.status}\n${run.stdout}\n${run.stderr}`;
        assert.notEqual(run.status, 0, context);
        assert.deepEqual(
          run.outcomes.map(({ title, passed }) => ({ title, passed })),
          [
            { title: 'attested call', passed: true },
            { title: 'unattested call', passed: false },
          ],
          context,
        );
        const failure = run.outcomes[1].failure;
        assert.match(failure, /MimaAttestationError/, failure);
        assert.ok(failure.includes(`Unattested AI call openai.OpenAI.chat at ${where()} `), failure);
        // Only the attested call reached the endpoint.
        assert.equal(mock.requests - before, 1);
      });

      it('report mode: the run passes, one JSONL record at the unattested line, and the report gate fails', async () => {
        const before = mock.requests;
        const run = await runRunner(runner, 'report', mock);
        assert.equal(run.status, 0, `${runner.name} exited ${run.status}\n${run.stdout}\n${run.stderr}`);
        assert.ok(
          run.outcomes.length === 2 && run.outcomes.every((outcome) => outcome.passed),
          JSON.stringify(run.outcomes),
        );
        assert.equal(mock.requests - before, 2);
        const records = readLogRecords(run.logFile, { missing: 'empty' });
        assert.deepEqual(
          records.map((r) => ({ call_site: r.call_site, attested: r.attested, blocked: r.blocked })),
          [{ call_site: 'openai.OpenAI.chat', attested: false, blocked: false }],
        );
        assert.equal(`${records[0].code_file}:${records[0].code_line}`, where());

        const cli = path.join(ROOT, 'build', 'src', 'command', 'cli.js');
        const gate = spawnSync(
          process.execPath,
          [cli, 'report', '--file', run.logFile, '--fail-on-unattested'],
          {
            encoding: 'utf8',
            env: { ...process.env, NO_COLOR: '1' },
          },
        );
        assert.equal(gate.status, 1, gate.stdout + gate.stderr);
        assert.ok(gate.stdout.includes(where()), gate.stdout);
      });
    });
  }
});

/**
 * Jest hands test code a copy of `process` whose `exit` never comes: a record made just before a
 * test ends the process must still be written. test/fixtures/runners/jest-exit holds one spec per
 * ending, each run alone; each starts an unattested call (its record is made as it starts) and
 * ends the process at once.
 */
describe('Jest: a report-mode record survives a test that ends the process (test/fixtures/runners/jest-exit)', function () {
  this.timeout(60_000);
  const mock = guardInstalledWithMockOpenAI(PROJECTS);
  const project = path.join(PROJECTS, 'jest-exit');
  const endings: Array<[string, string, number]> = [
    ['process.exit(0) right after the call', 'exit.spec.js', 0],
    ['an unhandled rejection right after the call', 'rejection.spec.js', 1],
  ];

  for (const [what, spec, status] of endings) {
    it(`${what}: the record is in the log`, async () => {
      const logFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mima-jest-exit-')), 'guard_log.jsonl');
      const env = childEnv({
        MIMA_GUARD_MODE: 'report',
        MIMA_GUARD_LOG_FILE: logFile,
        MIMA_DAEMON_SOCKET: path.join(path.dirname(logFile), 'no-daemon.sock'),
        OPENAI_BASE_URL: mock.url,
        OPENAI_API_KEY: 'test',
        CI: 'true',
      });
      const { status: code, output } = await runNode(
        [bin('jest', 'bin', 'jest.js'), '--ci', '--no-watchman', spec],
        { cwd: project, env },
      );
      try {
        assert.equal(code, status, output);
        const records = readLogRecords(logFile, { missing: 'empty' });
        assert.deepEqual(
          records.map((r) => `${r.call_site} ${r.code_file}`),
          [`openai.OpenAI.chat ${spec}`],
          output,
        );
      } finally {
        fs.rmSync(path.dirname(logFile), { recursive: true, force: true });
      }
    });
  }
});

describe('Vitest: vi.useFakeTimers() sees none of the guard timers (test/fixtures/runners/vitest-fake-timers)', function () {
  this.timeout(60_000);
  const mock = guardInstalledWithMockOpenAI(PROJECTS);

  it('with no daemon running, the fake clock counts 0 timers after advancing 120 s, and the record is written', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-vitest-fake-'));
    try {
      const env = childEnv({
        MIMA_GUARD_MODE: 'report',
        MIMA_GUARD_LOG_FILE: path.join(dir, 'guard_log.jsonl'),
        MIMA_DAEMON_SOCKET: path.join(dir, 'no-daemon.sock'),
        OPENAI_BASE_URL: mock.url,
        OPENAI_API_KEY: 'test',
        NO_COLOR: '1',
        CI: 'true',
      });
      const { status: code, output } = await runNode([bin('vitest', 'vitest.mjs'), 'run'], {
        cwd: path.join(PROJECTS, 'vitest-fake-timers'),
        env,
      });
      assert.equal(code, 0, output);
      assert.deepEqual(
        readLogRecords(path.join(dir, 'guard_log.jsonl'), { missing: 'empty' }).map((r) => r.call_site),
        ['openai.OpenAI.chat'],
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
