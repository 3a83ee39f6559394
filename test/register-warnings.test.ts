import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './helpers/guard';

const REGISTER = path.join(ROOT, 'build', 'src', 'register.js');
const REGISTER_ESM = path.join(ROOT, 'build', 'esm', 'register.mjs');

/**
 * Issue "Keep pace": Node 26 printed "[DEP0205] DeprecationWarning: module.register() is
 * deprecated" at every start with --import …/register, and Node 20 with --require printed
 * "The 'import-in-the-middle' hook has already been initialized". A guard that prints at every
 * start trains people to ignore stderr, where its own blind spots are said.
 */
describe(`register prints nothing at start-up on Node ${process.versions.node}`, () => {
  let dir: string;
  before(() => {
    // An app in the repo's tree (build/ is not committed), so that it resolves openai from the
    // repo's node_modules, for import as for require.
    dir = fs.mkdtempSync(path.join(ROOT, 'build', 'register-app-'));
    fs.chmodSync(dir, 0o700);
    fs.writeFileSync(
      path.join(dir, 'app.mjs'),
      "import OpenAI from 'openai';\nconsole.log(typeof OpenAI);\n",
    );
    fs.writeFileSync(
      path.join(dir, 'app.cjs'),
      "const { OpenAI } = require('openai');\nconsole.log(typeof OpenAI);\n",
    );
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const cases: Array<[string, string[], string]> = [
    ['--import, an ES module app', ['--import', REGISTER_ESM], 'app.mjs'],
    ['--require, an ES module app', ['--require', REGISTER], 'app.mjs'],
    ['--require, a CommonJS app', ['--require', REGISTER], 'app.cjs'],
    ['--import, a CommonJS app', ['--import', REGISTER_ESM], 'app.cjs'],
  ];
  for (const [label, flags, app] of cases) {
    it(label, () => {
      const result = spawnSync(process.execPath, [...flags, path.join(dir, app)], {
        encoding: 'utf8',
        env: {
          ...process.env,
          HOME: dir,
          MIMA_GUARD_LOG_FILE: path.join(dir, 'guard_log.jsonl'),
        },
        timeout: 30_000,
      });
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout.trim(), 'function');
      assert.equal(result.stderr, '', 'nothing on stderr');
    });
  }
});
