import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from './helpers/guard';
import { OTLP_PACKAGES } from '../src/daemon/otlp-sdk';

const CLI = path.join(ROOT, 'build', 'src', 'cli.js');

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
});
