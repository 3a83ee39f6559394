import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { guardWarnings, runChild, startChatServer } from '../helpers/child-app';
import { ROOT } from '../helpers/guard';
import { tempDir } from './helpers';

const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'durable');
const BUILT = path.join(ROOT, 'build', 'test', 'fixtures', 'durable');
const ESM_APP = path.join(FIXTURES, 'esm-app.mjs');
const OPENAI3_APP = path.join(BUILT, 'openai3-app.js');
const REGISTER = path.join(ROOT, 'build', 'esm', 'register.mjs');

/**
 * Loud blind spots: every "calls are not checked" / "records cannot be kept" condition is a
 * MimaGuardWarning on stderr (no diag logger in these children) and is in getGuardStatus().problems.
 */
describe('blind spots are said on stderr and in getGuardStatus()', () => {
  let server: Awaited<ReturnType<typeof startChatServer>>;
  let home: string;

  before(async () => {
    server = await startChatServer();
  });
  after(() => server.close());
  beforeEach(() => {
    home = tempDir('mima-blind-');
  });
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  function env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      HOME: home,
      MIMA_GUARD_LOG_FILE: path.join(home, 'guard_log.jsonl'),
      MIMA_DAEMON_SOCKET: path.join(home, 'no-daemon.sock'),
      MOCK_URL: server.url,
      // The mock server is an AI API host to the network backstop, as api.openai.com would be.
      MIMA_GUARD_NETWORK_HOSTS: server.authority,
      ...extra,
    };
  }

  it('openai 3 (below the supported range): MIMA_GUARD_SDK_UNSUPPORTED, then its unpatched request', async () => {
    const run = await runChild([OPENAI3_APP], env());
    assert.equal(run.code, 0, run.stderr);
    const [warning] = guardWarnings(run.stderr, 'MIMA_GUARD_SDK_UNSUPPORTED');
    assert.match(warning ?? '', /openai 3\.\S+ is outside the versions the guard supports/, run.stderr);
    assert.equal(guardWarnings(run.stderr, 'MIMA_GUARD_UNPATCHED_REQUEST').length, 1, run.stderr);
    const problems = JSON.parse(run.stdout) as string[];
    assert.ok(problems.includes('MIMA_GUARD_SDK_UNSUPPORTED'));
    assert.ok(problems.includes('MIMA_GUARD_UNPATCHED_REQUEST'));
  });

  it('an ES module app started without --import: MIMA_GUARD_ESM_UNHOOKED at enableGuard(), then its unpatched request', async () => {
    const run = await runChild([ESM_APP], env());
    assert.equal(run.code, 0, 'the warning never changes how the process exits');
    assert.match(
      guardWarnings(run.stderr, 'MIMA_GUARD_ESM_UNHOOKED')[0] ?? '',
      /--import @mima-governance\/instrumentation-guard\/register/,
      run.stderr,
    );
    assert.equal(guardWarnings(run.stderr, 'MIMA_GUARD_UNPATCHED_REQUEST').length, 1, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), ['MIMA_GUARD_ESM_UNHOOKED', 'MIMA_GUARD_UNPATCHED_REQUEST']);
  });

  it('the same app started with --import …/register has no blind spot to tell', async () => {
    const run = await runChild(['--import', REGISTER, ESM_APP], env());
    assert.equal(run.code, 0, run.stderr);
    assert.doesNotMatch(run.stderr, /MimaGuardWarning/);
    assert.deepEqual(JSON.parse(run.stdout), []);
  });

  it('a module object without the patch point (config.modules): MIMA_GUARD_PATCH_POINT_MISSING', async () => {
    const script =
      `require(${JSON.stringify(path.join(ROOT, 'build', 'src'))}).enableGuard({ modules: { openai: {} } });` +
      `console.log(JSON.stringify(require(${JSON.stringify(path.join(ROOT, 'build', 'src'))}).getGuardStatus().problems));`;
    const run = await runChild(['-e', script], env());
    assert.equal(run.code, 0, run.stderr);
    assert.equal(guardWarnings(run.stderr, 'MIMA_GUARD_PATCH_POINT_MISSING').length, 1, run.stderr);
    const [problem] = JSON.parse(run.stdout) as Array<{ code: string; message: string }>;
    assert.equal(problem.code, 'MIMA_GUARD_PATCH_POINT_MISSING');
    assert.match(problem.message, /has none of its patch points/);
  });

  describe('strict (MIMA_GUARD_STRICT=1): the CI gate fails on a blind spot', () => {
    it('block mode, an ES module app the guard cannot see: exit code 1, said on stderr', async () => {
      const run = await runChild([ESM_APP], env({ MIMA_GUARD_MODE: 'block', MIMA_GUARD_STRICT: '1' }));
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, /strict: exiting 1: MIMA_GUARD_ESM_UNHOOKED, MIMA_GUARD_UNPATCHED_REQUEST/);
    });

    it('an exit code the app set stands', async () => {
      const run = await runChild(
        [ESM_APP, 'exit3'],
        env({ MIMA_GUARD_MODE: 'block', MIMA_GUARD_STRICT: '1' }),
      );
      assert.equal(run.code, 3, run.stderr);
    });

    it('no blind spot: the process exits 0', async () => {
      const run = await runChild(
        ['--import', REGISTER, ESM_APP],
        env({ MIMA_GUARD_MODE: 'report', MIMA_GUARD_STRICT: '1' }),
      );
      assert.equal(run.code, 0, run.stderr);
    });

    it('without strict, the same blind spot leaves the exit code alone', async () => {
      const run = await runChild([ESM_APP], env({ MIMA_GUARD_MODE: 'block' }));
      assert.equal(run.code, 0, run.stderr);
    });
  });
});
