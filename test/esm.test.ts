import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { FIXTURES, runRegisteredApp } from './helpers/esm-app';
import { ROOT } from './helpers/guard';
import { runsOnThisNode } from './helpers/openai';

/** Runs the ES module app under `node --import .../register` in block mode. */
function runApp(target: string, ...flags: string[]) {
  const output = runRegisteredApp(path.join(FIXTURES, 'esm', 'app.mjs'), [target, ...flags]);
  return JSON.parse(output) as Record<string, { attested: string; unattested: string }> & {
    patchPoints: string[];
  };
}

const blocked = { attested: 'hello', unattested: 'MimaAttestationError:openai.OpenAI.chat' };

describe('ES module apps (node --import …/register)', () => {
  it('patches `import OpenAI from "openai"` and blocks its unattested call', () => {
    const result = runApp('openai');
    assert.deepEqual(result.esm, blocked);
    assert.deepEqual(result.patchPoints, [
      'client.mjs#OpenAI.methodRequest|request|requestAPIList|getAPIList',
    ]);
  });

  it('patches both copies when one process imports and requires openai', () => {
    const result = runApp('openai', '--also-require');
    assert.deepEqual(result.esm, blocked);
    assert.deepEqual(result.cjs, blocked);
    assert.deepEqual(result.patchPoints, [
      'client.js#OpenAI.methodRequest|request|requestAPIList|getAPIList',
      'client.mjs#OpenAI.methodRequest|request|requestAPIList|getAPIList',
    ]);
  });

  for (const major of [4, 5, 7]) {
    const skipped = runsOnThisNode(major) ? '' : ` (skipped: openai ${major} needs Node 22+)`;
    (runsOnThisNode(major) ? it : it.skip)(
      `patches the ES module copy of openai ${major}.x${skipped}`,
      () => {
        const result = runApp(path.join(ROOT, 'test', 'versions', `openai-${major}`));
        assert.deepEqual(result.esm, blocked);
        assert.deepEqual(result.patchPoints, [
          major === 4
            ? 'core.mjs#APIClient.methodRequest|request|requestAPIList|getAPIList'
            : 'client.mjs#OpenAI.methodRequest|request|requestAPIList|getAPIList',
        ]);
      },
    );
  }
});
