import * as assert from 'node:assert/strict';
import { importEntryOf, publishedPathOf } from '../../src/app/runners/jest-sdk-files';

describe('the one-line Jest setup: which file of an SDK a loaded module is', () => {
  it("an SDK repository's source file is named as the file it is published as", () => {
    assert.equal(publishedPathOf('src/client.ts'), 'client.js');
    assert.equal(publishedPathOf('src/resources/chat/completions.ts'), 'resources/chat/completions.js');
    assert.equal(publishedPathOf('src/index.mts'), 'index.mjs');
    assert.equal(publishedPathOf('src/internal/shim.cts'), 'internal/shim.cjs');
    assert.equal(publishedPathOf('src/client.js'), 'client.js');
    // Only a leading src/ is the sources' folder.
    assert.equal(publishedPathOf('lib/src/client.ts'), 'lib/src/client.js');
  });

  it("a package's import entry: exports' conditions in order, else main, else index.js", () => {
    assert.equal(importEntryOf({ exports: { '.': { require: './a.js', import: './a.mjs' } } }), 'a.mjs');
    assert.equal(importEntryOf({ exports: { '.': [{ browser: './b.js' }, './c.js'] } }), 'c.js');
    assert.equal(importEntryOf({ exports: './d.mjs' }), 'd.mjs');
    assert.equal(importEntryOf({ main: 'lib/e.js' }), 'lib/e.js');
    assert.equal(importEntryOf({}), 'index.js');
  });
});
