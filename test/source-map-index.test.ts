import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { SourceMap } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as url from 'node:url';
import * as esbuild from 'esbuild';
import { buildSourceMapIndex, lookUp, type SourceMapIndex } from '../src/app/sinks/source-map-index';
import { ROOT } from './helpers/guard';

/**
 * The guard's own source map decoder (src/sinks/source-map-index.ts), which maps record locations
 * off the call path, against Node's SourceMap (what --enable-source-maps formats stacks with): the
 * same original file and line for every generated position of a real esbuild bundle of openai.
 */
describe('source map index: the same answers as Node’s SourceMap', function () {
  this.timeout(60_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-source-map-'));
  const bundle = path.join(dir, 'app.js');

  before(async () => {
    fs.writeFileSync(
      path.join(dir, 'entry.js'),
      "const { OpenAI } = require('openai');\nmodule.exports = () => new OpenAI({ apiKey: 'k' });\n",
    );
    await esbuild.build({
      entryPoints: [path.join(dir, 'entry.js')],
      bundle: true,
      platform: 'node',
      sourcemap: true,
      outfile: bundle,
      nodePaths: [path.join(ROOT, 'node_modules')],
      logLevel: 'silent',
    });
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  function nodeAnswer(map: SourceMap, line: number, column: number) {
    const entry = map.findEntry(line - 1, column - 1) as { originalSource?: string; originalLine?: number };
    if (!entry.originalSource || entry.originalLine === undefined) return undefined;
    const source = entry.originalSource;
    return {
      file: source.startsWith('file:') ? url.fileURLToPath(source) : source,
      line: entry.originalLine + 1,
    };
  }

  /** Node resolves the map's sources against the map's URL, as the cache does for a loaded module. */
  function nodeMap(mapFile: string): SourceMap {
    const payload = JSON.parse(fs.readFileSync(mapFile, 'utf8')) as {
      sources: string[];
      sourceRoot?: string;
    };
    const base = url.pathToFileURL(mapFile).href;
    payload.sources = payload.sources.map(
      (source) => new URL((payload.sourceRoot ?? '') + source, base).href,
    );
    return new SourceMap(payload as never);
  }

  it('every generated line and column of a bundle of openai', () => {
    const index = buildSourceMapIndex(bundle, fs, url) as SourceMapIndex;
    assert.equal(typeof index, 'object');
    const map = nodeMap(`${bundle}.map`);
    const lines = fs.readFileSync(bundle, 'utf8').split('\n');
    let compared = 0;
    for (let line = 1; line <= lines.length + 2; line++) {
      const length = lines[line - 1]?.length ?? 5;
      for (let column = 1; column <= length + 1; column += 1 + (column % 7)) {
        assert.deepEqual(lookUp(index, line, column), nodeAnswer(map, line, column), `${line}:${column}`);
        compared++;
      }
    }
    assert.ok(compared > 10_000, `${compared} positions`);
  });

  it('an inline (data: URL) map, a file without one, and an index map left to Node', () => {
    const map = fs.readFileSync(`${bundle}.map`);
    const code = fs.readFileSync(bundle, 'utf8').replace(/\/\/# sourceMappingURL=.*\s*$/, '');
    const inline = path.join(dir, 'inline.js');
    fs.writeFileSync(
      inline,
      `${code}//# sourceMappingURL=data:application/json;base64,${map.toString('base64')}\n`,
    );
    const index = buildSourceMapIndex(inline, fs, url) as SourceMapIndex;
    const external = buildSourceMapIndex(bundle, fs, url) as SourceMapIndex;
    const line = code.split('\n').length - 3;
    // Sources resolve against the generated file's URL for an inline map, the map's otherwise:
    // the two files are in one directory, so the answers are the same.
    assert.deepEqual(lookUp(index, line, 3), lookUp(external, line, 3));

    const plain = path.join(dir, 'plain.js');
    fs.writeFileSync(plain, 'module.exports = 1;\n');
    assert.equal(buildSourceMapIndex(plain, fs, url), 'none');

    const sectioned = path.join(dir, 'sections.js');
    fs.writeFileSync(`${sectioned}.map`, JSON.stringify({ version: 3, sections: [] }));
    fs.writeFileSync(sectioned, 'module.exports = 1;\n//# sourceMappingURL=sections.js.map\n');
    assert.equal(buildSourceMapIndex(sectioned, fs, url), 'unsupported');
  });
});
