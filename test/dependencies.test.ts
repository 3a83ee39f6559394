import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from './helpers/guard';
import { OTLP_PACKAGES } from '../src/command/daemon/otlp-sdk';

const CLI = path.join(ROOT, 'build', 'src', 'command', 'cli.js');

interface PackageJson {
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
}

describe('dependencies', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as PackageJson;

  it('an app loads only what every contrib instrumentation loads: @opentelemetry/instrumentation, api as a peer', () => {
    // A dependency on the OTLP exporter 0.223 made `npm install <guard> @mistralai/mistralai` fail
    // with ERESOLVE: Mistral 2.7 peers exporter ^0.220.
    assert.deepEqual(Object.keys(pkg.dependencies), ['@opentelemetry/instrumentation']);
    assert.ok(pkg.peerDependencies['@opentelemetry/api']);
    assert.equal(pkg.peerDependenciesMeta['@opentelemetry/api']?.optional, undefined);
  });

  it("the daemon's OTLP forwarding packages are optional peers, for both OpenTelemetry JS lines", () => {
    for (const name of OTLP_PACKAGES) {
      assert.ok(pkg.peerDependencies[name], `${name} is a peer`);
      assert.equal(pkg.peerDependenciesMeta[name]?.optional, true, `${name} is optional`);
    }
    assert.equal(pkg.peerDependenciesMeta['@opentelemetry/sdk-trace']?.optional, true);
  });

  it('mima-guard daemon --otlp-endpoint without the SDK installed exits 2 naming what to install', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-otlp-'));
    try {
      fs.chmodSync(dir, 0o700);
      const preload = path.join(dir, 'no-otel-sdk.js');
      fs.writeFileSync(
        preload,
        `const Module = require('module');
const resolve = Module._resolveFilename;
const hidden = ${JSON.stringify([...OTLP_PACKAGES, '@opentelemetry/sdk-trace'])};
Module._resolveFilename = function (request, ...rest) {
  if (hidden.includes(request)) throw Object.assign(new Error('not installed'), { code: 'MODULE_NOT_FOUND' });
  return resolve.call(this, request, ...rest);
};`,
      );
      const result = spawnSync(
        process.execPath,
        [
          '--require',
          preload,
          CLI,
          'daemon',
          '--socket',
          path.join(dir, 'd.sock'),
          '--log-file',
          path.join(dir, 'daemon_log.jsonl'),
          '--otlp-endpoint',
          'http://127.0.0.1:9',
        ],
        { encoding: 'utf8', timeout: 20_000, env: { ...process.env, HOME: dir } },
      );
      assert.equal(result.status, 2, result.stderr);
      assert.match(
        result.stderr,
        /cannot find @opentelemetry\/exporter-trace-otlp-http, @opentelemetry\/sdk-trace-base \(or, for OpenTelemetry JS 3, @opentelemetry\/sdk-trace\), @opentelemetry\/resources/,
      );
      assert.match(
        result.stderr,
        /npm install @opentelemetry\/exporter-trace-otlp-http @opentelemetry\/sdk-trace-base @opentelemetry\/resources/,
      );
      assert.ok(!fs.existsSync(path.join(dir, 'd.sock')), 'no socket left behind');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  it("what an app loads stays in src/app: the package's entry and register never load the command's code", () => {
    // src/ shows the boundary (src/app: loaded by apps; src/command: run by mima-guard); an app that
    // enables the guard and makes a call must not pull in the scan's compiler or the daemon.
    const app = `
      const { enableGuard } = require(${JSON.stringify(path.join(ROOT, 'build', 'src', 'index.js'))});
      require(${JSON.stringify(path.join(ROOT, 'build', 'src', 'register.js'))});
      enableGuard({ mode: 'warn' });
      require('openai');
      console.log(JSON.stringify(Object.keys(require.cache)));`;
    const result = spawnSync(process.execPath, ['-e', app], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    assert.equal(result.status, 0, result.stderr);
    const loaded = JSON.parse(result.stdout.trim().split('\n').pop() ?? '[]') as string[];
    const ours = loaded.filter((file) => file.startsWith(path.join(ROOT, 'build', 'src') + path.sep));
    assert.ok(
      ours.some((file) => file.includes(`${path.sep}app${path.sep}`)),
      'the app side was loaded',
    );
    assert.deepEqual(
      ours.filter((file) => file.includes(`${path.sep}command${path.sep}`)),
      [],
      'no file of src/command is loaded by an app',
    );
    assert.ok(
      !loaded.some((file) => file.includes(`${path.sep}typescript${path.sep}`)),
      'typescript is not loaded',
    );
  });
});
