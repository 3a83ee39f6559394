import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './helpers/guard';
import { startMockOpenAI, type MockOpenAI } from './helpers/runner-project';

/**
 * `register` loaded after the app already loaded an SDK, and SDKs handed over with the `modules`
 * option: each case is a fresh node process (the module caches and hooks are per process).
 */
const run = promisify(execFile);
const GUARD = '@mima-governance/instrumentation-guard';
const REGISTER_CJS = path.join(ROOT, 'build', 'src', 'register.js');

/** Preloaded first: keeps the OpenTelemetry diag warnings, which register logs while it loads. */
const DIAG = `
const { diag, DiagLogLevel } = require('@opentelemetry/api');
const keep = (...args) => globalThis.mimaWarnings.push(args.map(String).join(' '));
globalThis.mimaWarnings = [];
diag.setLogger({ error: keep, warn: keep, info() {}, debug() {}, verbose() {} }, DiagLogLevel.WARN);
`;

/** One attested and one unattested call of `OpenAI` (in scope), then what the guard did, as JSON. */
const CALLS = `
const client = new OpenAI({ apiKey: 'k', baseURL: process.env.OPENAI_BASE_URL, maxRetries: 0 });
const call = () => client.chat.completions.create({ model: 'm', messages: [] });
const attested = await attest(call)().then((answer) => answer.choices[0].message.content);
const unattested = await call().then(() => 'sent', (error) => error.name + ':' + error.callSite);
const patchPoints = getGuardStatus().sdks.find((s) => s.module === 'openai').patches.map((p) => p.patchPoint);
console.log(JSON.stringify({ attested, unattested, patchPoints, warnings: globalThis.mimaWarnings }));
`;

interface Result {
  attested: string;
  unattested: string;
  patchPoints: string[];
  warnings: string[];
}

describe('register loaded late, and SDKs loaded before the guard', function () {
  this.timeout(30_000);
  // Inside the package, so the apps resolve the guard by its name (the package's self-reference).
  const tmp = fs.mkdtempSync(path.join(ROOT, 'build', 'late-register-'));
  const diagFile = path.join(tmp, 'diag.cjs');
  let mock: MockOpenAI;

  before(async () => {
    fs.writeFileSync(diagFile, DIAG);
    mock = await startMockOpenAI();
  });

  after(async () => {
    await mock?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  let apps = 0;
  /** Runs the app from a file, as apps run (node -e would show OpenTelemetry a global `require`). */
  async function runNode(args: string[], app: string, extension: '.cjs' | '.mjs'): Promise<Result> {
    const file = path.join(tmp, `app-${++apps}${extension}`);
    fs.writeFileSync(file, app);
    const { stdout } = await run(process.execPath, ['--require', diagFile, ...args, file], {
      cwd: ROOT,
      env: {
        ...process.env,
        MIMA_GUARD_MODE: 'block',
        MIMA_GUARD_LOG_FILE: path.join(tmp, 'guard.jsonl'),
        MIMA_DAEMON_SOCKET: path.join(tmp, 'no-daemon.sock'),
        OPENAI_BASE_URL: mock.url,
      },
    });
    return JSON.parse(stdout) as Result;
  }

  const commonjs = (body: string, ...flags: string[]) =>
    runNode(flags, `(async () => {${body}\n${CALLS}})();`, '.cjs');
  const esm = (body: string) => runNode([], `${body}\n${CALLS}`, '.mjs');
  const blocked = 'MimaAttestationError:openai.OpenAI.chat';

  it('require(register) after require("openai"): patches the cached copy and says so in one diag warning', async () => {
    const result = await commonjs(`
        const OpenAI = require('openai');
        require('${GUARD}/register');
        const { attest, getGuardStatus } = require('${GUARD}');`);
    assert.equal(result.attested, 'hello');
    assert.equal(result.unattested, blocked);
    assert.deepEqual(result.patchPoints, [
      'client.js#OpenAI.methodRequest|request|requestAPIList|getAPIList',
    ]);
    assert.equal(result.warnings.length, 1, result.warnings.join('\n'));
    assert.match(
      result.warnings[0],
      /register ran after the app loaded openai \d+\.\d+\.\d+: its CommonJS copy is patched now/,
    );
    assert.match(result.warnings[0], new RegExp(`node --import ${GUARD}/register, or --require`));
    assert.match(result.warnings[0], /enableGuard\(\{ modules: \{ openai \} \}\)/);
  });

  it('node --require register, then openai: patched by the hooks, no warning', async () => {
    const result = await commonjs(
      `
        const OpenAI = require('openai');
        const { attest, getGuardStatus } = require('${GUARD}');`,
      '--require',
      REGISTER_CJS,
    );
    assert.deepEqual(result, {
      attested: 'hello',
      unattested: blocked,
      patchPoints: ['client.js#OpenAI.methodRequest|request|requestAPIList|getAPIList'],
      warnings: [],
    });
  });

  it('an ES module app that imported openai before the guard hands it over with modules', async () => {
    const result = await esm(`
        import * as openai from 'openai';
        import { attest, enableGuard, getGuardStatus } from '${GUARD}';
        enableGuard({ modules: { openai } });
        const { OpenAI } = openai;`);
    assert.deepEqual(result, {
      attested: 'hello',
      unattested: blocked,
      patchPoints: ['modules.openai#OpenAI.methodRequest|request|requestAPIList|getAPIList'],
      warnings: [],
    });
  });

  it('modules patches every patch point the object holds (litellm: completion and embedding)', async () => {
    const file = path.join(tmp, 'litellm.cjs');
    fs.writeFileSync(
      file,
      `const { enableGuard, getGuardStatus } = require('${GUARD}');
      enableGuard({ modules: { litellm: require('litellm') } });
      const { patches } = getGuardStatus().sdks.find((s) => s.module === 'litellm');
      console.log(JSON.stringify(patches.map((p) => [p.patchPoint, p.active])));`,
    );
    const { stdout } = await run(process.execPath, [file], { cwd: ROOT, encoding: 'utf8' });
    assert.deepEqual(JSON.parse(stdout), [
      ['modules.litellm#completion', true],
      ['modules.litellm#embedding', true],
    ]);
  });

  it('an ES module copy imported before register is out of reach (the documented limit)', async () => {
    const result = await esm(`
        import OpenAI from 'openai';
        import '${GUARD}/register';
        import { attest, getGuardStatus } from '${GUARD}';`);
    assert.deepEqual(result, { attested: 'hello', unattested: 'sent', patchPoints: [], warnings: [] });
  });

  it('register inside a Jest sandbox fails with the setupFiles recipe instead of Jest’s refusal', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        '-e',
        `process.env.JEST_WORKER_ID = '1';
        // As Jest 30's module object: both hook registrars refuse.
        const m = require('node:module');
        m.register = () => { throw new Error('module.register() is not supported in Jest'); };
        m.registerHooks = () => { throw new Error('module.registerHooks() is not supported in Jest'); };
        try { require('${GUARD}/register'); } catch (error) {
          console.log(JSON.stringify({ message: error.message, cause: error.cause.message }));
        }`,
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    const { message, cause } = JSON.parse(stdout);
    assert.match(message, /register cannot hook Jest's module registry/);
    // The one-line Jest setup, not the modules recipe, is what to use there now.
    assert.match(message, /setupFiles: \['@mima-governance\/instrumentation-guard\/jest'\]/);
    assert.match(cause, /^module\.register(Hooks)?\(\) is not supported in Jest$/);
  });
});
