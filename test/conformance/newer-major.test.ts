import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { guardWarnings, runChild } from '../helpers/child-app';
import { ROOT } from '../helpers/guard';
import { SDK_DEFINITIONS } from '../../src/app/sdks';
import { packageDir } from './install-dir';

const REGISTER = path.join(ROOT, 'build', 'src', 'register.js');
const GUARD = path.join(ROOT, 'build', 'src', 'index.js');

/**
 * A major the guard was never tested with (what `latest` will be one day) is not patched, and says
 * so on stderr: a real openai package (the locked 6.x) relabelled as the next major, loaded by an app
 * through require() and import() both.
 */
describe('an SDK version newer than the supported range', () => {
  const range = SDK_DEFINITIONS.find((d) => d.module === 'openai')!.supportedVersions;
  const newer = `${Number(/<(\d+)$/.exec(range)![1])}.0.0`;
  let dir: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-newer-major-'));
    const copy = path.join(dir, 'node_modules', 'openai');
    fs.cpSync(packageDir('openai', path.join(ROOT, 'test', 'versions', 'openai-6'))!, copy, {
      recursive: true,
    });
    const manifest = JSON.parse(fs.readFileSync(path.join(copy, 'package.json'), 'utf8')) as {
      version: string;
    };
    fs.writeFileSync(path.join(copy, 'package.json'), JSON.stringify({ ...manifest, version: newer }));
    fs.writeFileSync(
      path.join(dir, 'app.js'),
      `const { getGuardStatus } = require(${JSON.stringify(GUARD)});
       require('openai');
       import('openai').then(() => {
         const openai = getGuardStatus().sdks.find((s) => s.module === 'openai');
         console.log(JSON.stringify(openai.patches));
       });`,
    );
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it(`openai ${newer} (range ${range}): one MimaGuardWarning on stderr naming package, version and range`, async () => {
    const run = await runChild(['--require', REGISTER, path.join(dir, 'app.js')], { HOME: dir }, false, {
      cwd: dir,
    });
    assert.equal(run.code, 0, run.stderr);
    const warnings = guardWarnings(run.stderr, 'MIMA_GUARD_SDK_UNSUPPORTED');
    assert.equal(warnings.length, 1, run.stderr);
    assert.ok(
      warnings[0].includes(`openai ${newer} is outside the versions the guard supports (${range})`),
      warnings[0],
    );
    const patches = JSON.parse(run.stdout) as Array<{ version: string; active: boolean }>;
    assert.ok(patches.length > 0 && patches.every((p) => p.version === newer && !p.active), run.stdout);
  });
});
