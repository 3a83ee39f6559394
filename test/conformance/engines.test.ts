import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from '../helpers/guard';

/** package.json's engines promise exactly the Node lines CI runs the suite on, no more. */
describe('engines', () => {
  it('names Node 20.6+ (the default CI node) and each of .ci/run EXTRA_NODE_VERSIONS', () => {
    const ci = fs.readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8');
    const extra = /^EXTRA_NODE_VERSIONS=\(([\d ]+)\)$/m.exec(ci)![1].split(' ');
    const { engines } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      engines: { node: string };
    };
    assert.equal(engines.node, ['^20.6.0', ...extra.map((v) => `^${v}.0.0`)].join(' || '));
  });
});
