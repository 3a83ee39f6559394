import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as guard from '../src';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../src/app/version';
import { ROOT } from './helpers/guard';

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

describe('package', () => {
  it('version.ts matches package.json', () => {
    assert.equal(PACKAGE_NAME, pkg.name);
    assert.equal(PACKAGE_VERSION, pkg.version);
  });

  it('the ES module entry exports the same names as the CommonJS one, from one shared instance', () => {
    const script = `import * as esm from '${pkg.name}';
      import { createRequire } from 'node:module';
      const cjs = createRequire(import.meta.url)('${pkg.name}');
      const names = Object.keys(esm).sort();
      console.log(JSON.stringify({ names, same: names.every((n) => esm[n] === cjs[n]) }));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    const { names, same } = JSON.parse(out);
    const cjsNames = Object.keys(guard)
      .filter((n) => n !== '__esModule')
      .sort();
    assert.deepEqual(names, cjsNames);
    assert.equal(same, true);
  });

  it('exports the public API of the design contract', () => {
    for (const name of [
      'MimaGuardInstrumentation',
      'enableGuard',
      'disableGuard',
      'getGuardStatus',
      'attest',
      'withAttested',
      'isAttested',
      'setAttested',
      'MimaGovernance',
      'MimaAttestationError',
    ]) {
      assert.equal(typeof (guard as Record<string, unknown>)[name], 'function', name);
    }
  });

  it('patches module objects handed over by config.modules (SDK loaded before the guard)', () => {
    const script = `
      const OpenAI = require('openai');
      const { enableGuard, getGuardStatus } = require('${pkg.name}');
      enableGuard({ mode: 'block', logFile: require('node:os').tmpdir() + '/mima-manual.jsonl', modules: { openai: OpenAI } });
      const client = new OpenAI.OpenAI({ apiKey: 'k', baseURL: 'http://127.0.0.1:9/v1', maxRetries: 0 });
      client.chat.completions.create({ model: 'm', messages: [] }).catch((e) => {
        const patch = getGuardStatus().sdks[0].patches[0];
        console.log(JSON.stringify({ error: e.name, patchPoint: patch.patchPoint, version: patch.version }));
      });`;
    const out = execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' });
    assert.deepEqual(JSON.parse(out), {
      error: 'MimaAttestationError',
      patchPoint: 'modules.openai#OpenAI.methodRequest|request|requestAPIList|getAPIList',
      version: 'manual',
    });
  });

  it('rejects an unknown SDK name in config.modules, and leaves no enabled instance behind', () => {
    const enabled = () =>
      (
        (globalThis as Record<symbol, unknown[] | undefined>)[
          Symbol.for('@mima-governance/instrumentation-guard.enabled-instances.v1')
        ] ?? []
      ).length;
    const before = enabled();
    assert.throws(
      () => new guard.MimaGuardInstrumentation({ modules: { opnai: {} } }),
      /modules has unknown SDK "opnai"; accepted: openai/,
    );
    assert.equal(enabled(), before, 'the instance whose constructor threw is not among the enabled ones');
  });
});
