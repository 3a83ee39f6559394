import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DetectionRecord } from '../src/app/types';
import { ROOT } from './helpers/guard';
import { readLogRecords } from './helpers/log-lines';
import { childEnv, runNode } from './helpers/node-child';
import { guardInstalledWithMockOpenAI, lineOf } from './helpers/runner-project';

/**
 * `setupFiles: ['@mima-governance/instrumentation-guard/jest']` under the real Jest (the
 * block/report matrix of its ai.spec files is in runners.test.ts): what the one line must keep
 * as it was without the guard, and what it must see that the `modules` recipe did not.
 */
const PROJECTS = path.join(ROOT, 'test', 'fixtures', 'runners');
/** Jest 30 (the locked `jest`) and Jest 29 (`jest29`, npm alias of jest@29): both in wide use. */
const JESTS = [
  { major: 30, bin: path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js') },
  { major: 29, bin: path.join(ROOT, 'node_modules', 'jest29', 'bin', 'jest.js') },
];

interface JestRun {
  status: number | null;
  /** Jest's own process: a warning printed by a worker carries another pid. */
  pid: number | undefined;
  output: string;
  records: DetectionRecord[];
  tests: Array<{ title: string; status: string; failureMessages: string[] }>;
}

async function runJest(
  jest: string,
  project: string,
  args: string[],
  env: Record<string, string>,
  nodeArgs: string[] = [],
): Promise<JestRun> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-jest-one-line-'));
  try {
    const logFile = path.join(dir, 'guard_log.jsonl');
    const out = path.join(dir, 'jest.json');
    const { status, pid, output } = await runNode(
      [
        ...nodeArgs,
        '--enable-source-maps',
        jest,
        '--ci',
        '--no-watchman',
        '--json',
        `--outputFile=${out}`,
        ...args,
      ],
      {
        cwd: path.join(PROJECTS, project),
        env: childEnv({
          MIMA_GUARD_MODE: 'report',
          MIMA_GUARD_LOG_FILE: logFile,
          MIMA_DAEMON_SOCKET: path.join(dir, 'no-daemon.sock'),
          OPENAI_API_KEY: 'test',
          NO_COLOR: '1',
          CI: 'true',
          ...env,
        }),
      },
    );
    const report = fs.existsSync(out)
      ? (JSON.parse(fs.readFileSync(out, 'utf8')) as {
          testResults: Array<{ assertionResults: JestRun['tests'] }>;
        })
      : { testResults: [] };
    const records = readLogRecords(logFile, { missing: 'empty' });
    return {
      status,
      pid,
      output,
      records,
      tests: report.testResults.flatMap((file) => file.assertionResults),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The pid of each process that printed the MimaGuardWarning of `code`: Node's `(node:<pid>) [<code>] MimaGuardWarning`. */
function guardWarnings(output: string, code: string): Array<number | undefined> {
  const line = new RegExp(`^\\(node:(\\d+)\\) \\[${code}\\] MimaGuardWarning: `, 'gm');
  return [...output.matchAll(line)].map((match) => Number(match[1]));
}

/**
 * A stand-in for an SDK's repository at `to`: the installed package's CommonJS files under
 * `src/`, a package.json with its name and version, and the repository's tests beside them.
 */
function makeSdkRepository(from: string, to: string): void {
  const { name, version } = JSON.parse(fs.readFileSync(path.join(from, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
  };
  fs.cpSync(from, path.join(to, 'src'), {
    recursive: true,
    filter: (source) => fs.statSync(source).isDirectory() || source.endsWith('.js'),
  });
  fs.writeFileSync(path.join(to, 'package.json'), JSON.stringify({ name, version }));
}

const located = (records: DetectionRecord[]) =>
  records.map((r) => `${r.call_site} ${r.code_file}:${r.code_line}`).sort();

for (const { major, bin } of JESTS)
  describe(`Jest ${major} in one line: setupFiles …/jest (test/fixtures/runners/jest-one-line*)`, function () {
    this.timeout(60_000);
    this.slow(10_000);
    const mock = guardInstalledWithMockOpenAI(PROJECTS);

    it("a test file's jest.mock() of an SDK internal is what the SDK loads, and its calls are still checked", async () => {
      const spec = 'mocked-internal.spec.js';
      const run = await runJest(bin, 'jest-one-line', [spec], { OPENAI_BASE_URL: mock.url });
      const context = run.output;
      assert.equal(run.status, 0, context);
      assert.deepEqual(
        run.tests.map((t) => [t.title, t.status]),
        [
          ['the SDK sees the mock', 'passed'],
          ['an unattested call is still checked', 'passed'],
        ],
        context,
      );
      const line = lineOf(path.join(PROJECTS, 'jest-one-line', spec), '// mocked-internal unattested');
      assert.deepEqual(located(run.records), [`openai.OpenAI.chat ${spec}:${line}`], context);
    });

    it('a copy loaded in a fresh registry (jest.isolateModules) is patched as well', async () => {
      const spec = 'isolated.spec.js';
      const run = await runJest(bin, 'jest-one-line', [spec], { OPENAI_BASE_URL: mock.url });
      assert.equal(run.status, 0, run.output);
      const line = lineOf(path.join(PROJECTS, 'jest-one-line', spec), '// isolated unattested');
      assert.deepEqual(located(run.records), [`openai.OpenAI.chat ${spec}:${line}`], run.output);
    });

    it("an SDK's own repository, which maps the package to its sources: its calls are checked, at its tests' lines", async () => {
      const project = path.join(PROJECTS, 'jest-one-line-sdk-source');
      try {
        makeSdkRepository(path.join(ROOT, 'node_modules', 'openai'), project);
        const spec = path.join('tests', 'sdk-source.spec.js');
        const run = await runJest(bin, 'jest-one-line-sdk-source', [], { OPENAI_BASE_URL: mock.url });
        assert.equal(run.status, 0, run.output);
        assert.deepEqual(
          run.tests.map((t) => t.status),
          ['passed', 'passed'],
          run.output,
        );
        const line = lineOf(path.join(project, spec), '// sdk-source unattested');
        assert.deepEqual(located(run.records), [`openai.OpenAI.chat ${spec}:${line}`], run.output);
      } finally {
        fs.rmSync(path.join(project, 'src'), { recursive: true, force: true });
        fs.rmSync(path.join(project, 'package.json'), { force: true });
      }
    });

    it("a finished test file's guard stops: two files in one worker, attested calls to a watched host, no record", async () => {
      const run = await runJest(bin, 'jest-one-line-backstop', ['--runInBand'], {
        OPENAI_BASE_URL: mock.url,
        MIMA_GUARD_NETWORK_HOSTS: '127.0.0.1',
      });
      assert.equal(run.status, 0, run.output);
      assert.deepEqual(
        run.tests.map((t) => t.status),
        ['passed', 'passed'],
        run.output,
      );
      assert.deepEqual(located(run.records), [], run.output);
      assert.doesNotMatch(run.output, /torn down|JEST-01/, run.output);
    });

    it("ES module mode: `ai`'s functions, which cannot be wrapped there, are a guard problem on stderr, and no status says patched", async () => {
      // No --no-warnings=ExperimentalWarning: Node (20 to 24) ignores the value and turns every
      // warning off, the guard's too.
      const run = await runJest(bin, 'jest-one-line-esm-ai', [], {}, ['--experimental-vm-modules']);
      assert.equal(run.status, 0, run.output);
      assert.deepEqual(
        run.tests.map((t) => t.status),
        ['passed'],
        run.output,
      );
      assert.deepEqual(guardWarnings(run.output, 'MIMA_GUARD_JEST_ESM_UNPATCHED'), [run.pid], run.output);
    });

    describe('a guard problem in a test file is on stderr, once per test file (openai 3, out of range)', () => {
      const project = 'jest-one-line-unsupported';
      const unsupported = (run: JestRun) => guardWarnings(run.output, 'MIMA_GUARD_SDK_UNSUPPORTED');
      let cache: string;
      beforeEach(() => {
        // A cache without timings: with one, Jest runs a few fast files in band whatever --maxWorkers says.
        cache = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-jest-cache-'));
      });
      afterEach(() => fs.rmSync(cache, { recursive: true, force: true }));

      it("one test file, in Jest's own process", async () => {
        const run = await runJest(bin, project, [`--cacheDirectory=${cache}`, 'a.spec.js'], {});
        assert.equal(run.status, 0, run.output);
        assert.deepEqual(unsupported(run), [run.pid], run.output);
      });

      it('two test files in band (-i)', async () => {
        const run = await runJest(bin, project, [`--cacheDirectory=${cache}`, '-i'], {});
        assert.equal(run.status, 0, run.output);
        assert.deepEqual(unsupported(run), [run.pid, run.pid], run.output);
      });

      it('two test files in two worker processes', async () => {
        const run = await runJest(bin, project, [`--cacheDirectory=${cache}`, '--maxWorkers=2'], {});
        assert.equal(run.status, 0, run.output);
        const pids = unsupported(run);
        assert.equal(pids.length, 2, run.output);
        assert.ok(!pids.includes(run.pid), `printed by the workers, not by Jest itself:\n${run.output}`);
      });

      it('--no-warnings still silences it; getGuardStatus() still lists it', async () => {
        const run = await runJest(bin, project, [`--cacheDirectory=${cache}`, 'a.spec.js'], {}, [
          '--no-warnings',
        ]);
        assert.equal(run.status, 0, run.output);
        assert.deepEqual(unsupported(run), [], run.output);
      });
    });
  });

describe('the one-line Jest setup outside Jest', () => {
  it('outside Jest it says on stderr that nothing was hooked, and the process goes on', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-jest-outside-'));
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, MIMA_GUARD_LOG_FILE: path.join(dir, 'log.jsonl') };
      delete env.NODE_V8_COVERAGE;
      const result = spawnSync(
        process.execPath,
        [
          '-e',
          `require(${JSON.stringify(path.join(ROOT, 'build', 'src', 'jest.js'))}); console.log('went on')`,
        ],
        { encoding: 'utf8', env },
      );
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout, 'went on\n');
      assert.match(
        result.stderr,
        /MimaGuardWarning.*MIMA_GUARD_JEST_UNHOOKED|MIMA_GUARD_JEST_UNHOOKED.*MimaGuardWarning/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
