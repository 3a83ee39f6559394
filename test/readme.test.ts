import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './helpers/guard';
import { readmeTableRows, sdkTableRows } from './helpers/sdk-table';

describe('README', () => {
  it('lists exactly the SDKs, versions and call sites the code patches (npm run readme:sdks)', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    assert.deepEqual(
      readmeTableRows(readme),
      sdkTableRows(),
      'the table is stale: run `npm run readme:sdks`',
    );
  });
});
