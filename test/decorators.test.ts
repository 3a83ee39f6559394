import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { ROOT } from './helpers/guard';

const expected = { classify: 'true:true', later: true, outside: false };
const run = (file: string) => JSON.parse(execFileSync(process.execPath, [file], { encoding: 'utf8' }));

describe('@attest() decorator', () => {
  it('type-checks and attests as a TypeScript 5 standard decorator', () => {
    assert.deepEqual(run(path.join(ROOT, 'build', 'test', 'fixtures', 'decorators.js')), expected);
  });

  it('type-checks and attests as a legacy experimentalDecorators decorator', () => {
    const outDir = path.join(ROOT, 'build', 'legacy-decorators');
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    execFileSync(process.execPath, [
      tsc,
      '--experimentalDecorators',
      // As the package compiles (tsconfig.json): its sources default-import CommonJS modules.
      '--esModuleInterop',
      ...['--target', 'ES2022', '--module', 'commonjs', '--strict', '--skipLibCheck', '--types', 'node'],
      ...['--rootDir', ROOT, '--outDir', outDir],
      path.join(ROOT, 'test', 'fixtures', 'decorators.ts'),
    ]);
    assert.deepEqual(run(path.join(outDir, 'test', 'fixtures', 'decorators.js')), expected);
  });
});
