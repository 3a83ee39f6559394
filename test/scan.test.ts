import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MISSING_TYPESCRIPT } from '../src/command/scan/typescript';
import { scan } from '../src/command/scan';
import type { ScanReport, ScanSite } from '../src/command/scan/format';
import { SDK_DEFINITIONS } from '../src/app/sdks';
import { tempDir as makeTempDir } from './helpers/temp-dir';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'build', 'src', 'command', 'cli.js');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'scan');
const FIXTURE_NAMES = ['verdicts', 'shapes', 'sdks', 'mistral', 'agents-clients'];

interface Marker {
  file: string;
  line: number;
  verdict: string;
  callSite?: string;
}

/** `// scan: <verdict> [call site]` on the line before each call the scan must report. */
function markers(dir: string): Marker[] {
  const out: Marker[] = [];
  const visit = (p: string) => {
    if (fs.statSync(p).isDirectory()) {
      for (const name of fs.readdirSync(p)) visit(path.join(p, name));
      return;
    }
    fs.readFileSync(p, 'utf8')
      .split('\n')
      .forEach((text, i) => {
        const m = /\/\/ scan: (\w+)(?: (\S+))?/.exec(text);
        if (m) out.push({ file: path.relative(ROOT, p), line: i + 2, verdict: m[1], callSite: m[2] });
      });
  };
  visit(dir);
  return out;
}

function cli(args: string[], options: { cwd?: string; preload?: string } = {}) {
  const node = options.preload ? ['--require', options.preload] : [];
  const result = spawnSync(process.execPath, [...node, CLI, ...args], {
    cwd: options.cwd ?? ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function site(report: ScanReport, file: string, line: number): ScanSite {
  const found = report.sites.find((s) => s.file.endsWith(file) && s.line === line);
  assert.ok(found, `no site at ${file}:${line}`);
  return found;
}

/** The line of a fixture that contains `text` (the first after the line containing `after`). */
function lineOf(file: string, text: string, after?: string): number {
  const lines = fs.readFileSync(path.join(FIXTURES, file), 'utf8').split('\n');
  const from = after === undefined ? 0 : lines.findIndex((line) => line.includes(after));
  const at = lines.findIndex((line, i) => i >= from && line.includes(text));
  assert.ok(from >= 0 && at >= 0, `${text} not in ${file}`);
  return at + 1;
}

describe('mima-guard scan', function () {
  this.timeout(60_000);
  const reports = new Map<string, ScanReport>();

  before(() => {
    for (const name of FIXTURE_NAMES) {
      reports.set(name, scan({ paths: [path.join(FIXTURES, name)], displayRoot: ROOT }));
    }
  });

  for (const name of FIXTURE_NAMES) {
    it(`reports exactly the marked calls of fixtures/scan/${name}, with their verdicts and call sites`, () => {
      const report = reports.get(name) as ScanReport;
      const expected = markers(path.join(FIXTURES, name)).sort((a, b) =>
        a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1,
      );
      assert.deepEqual(
        report.sites.map((s) => `${s.file}:${s.line} ${s.verdict}`),
        expected.map((m) => `${m.file}:${m.line} ${m.verdict}`),
      );
      for (const marker of expected.filter((m) => m.callSite)) {
        assert.equal(site(report, marker.file, marker.line).call_site, marker.callSite);
      }
    });
  }

  it('finds a call of every SDK the guard patches, by the package it resolves to', () => {
    const packages = new Set([...reports.values()].flatMap((report) => report.sites.map((s) => s.package)));
    // The AI SDK providers' models are typed by @ai-sdk/provider, which reports for all of them.
    const declaring = new Set(SDK_DEFINITIONS.map((sdk) => sdk.userApi.declaredIn ?? sdk.module));
    assert.deepEqual([...packages].sort(), [...declaring].sort());
  });

  it('counts each verdict in the summary', () => {
    const report = reports.get('verdicts') as ScanReport;
    assert.deepEqual(report.summary, { total: 19, unattested: 7, unknown: 4, attested: 8 });
  });

  it('never reports a name-alike call on an object that is not an SDK client', () => {
    const report = reports.get('verdicts') as ScanReport;
    assert.equal(report.sites.filter((s) => s.file.endsWith('not-sdk.ts')).length, 0);
  });

  it('follows aliased imports, re-exported clients, class fields, callbacks, .js and .mjs files', () => {
    const report = reports.get('verdicts') as ScanReport;
    // clients.ts exports `new Client()`, imported as `OpenAI as Client`; index.ts uses it.
    assert.equal(
      site(report, 'verdicts/src/index.ts', lineOf('verdicts/src/index.ts', 'openai.embeddings')).call_site,
      'openai.OpenAI.embeddings',
    );
    assert.match(
      site(report, 'verdicts/src/index.ts', lineOf('verdicts/src/index.ts', 'content: item')).reason,
      /^exported function handle\(\) reaches it via a callback \(line \d+\)$/,
    );
    assert.equal(
      site(
        report,
        'verdicts/src/service.ts',
        lineOf('verdicts/src/service.ts', 'return this.client.messages'),
      ).expression,
      'this.client.messages.create',
    );
    assert.equal(
      site(report, 'verdicts/src/legacy.js', lineOf('verdicts/src/legacy.js', 'client.chat')).verdict,
      'unattested',
    );
    assert.equal(
      site(report, 'verdicts/src/edge.mjs', lineOf('verdicts/src/edge.mjs', 'gen(')).call_site,
      'ai.generateText',
    );
  });

  it('explains each verdict in one line', () => {
    const report = reports.get('verdicts') as ScanReport;
    const reason = (file: string, text: string, after?: string) =>
      site(report, `verdicts/src/${file}`, lineOf(`verdicts/src/${file}`, text, after)).reason;
    const topLevelCall = lineOf('verdicts/src/index.ts', 'void main()');
    const index = 'test/fixtures/scan/verdicts/src/index.ts';
    const service = 'test/fixtures/scan/verdicts/src/service.ts';
    assert.equal(reason('index.ts', "model: 'gpt-4o-mini', messages }"), `at top level of ${index}`);
    assert.equal(
      reason('index.ts', 'openai.embeddings'),
      `top level of ${index}:${topLevelCall} reaches it via main()`,
    );
    assert.equal(
      reason('index.ts', 'openai.responses'),
      `top level of ${index}:${topLevelCall} reaches it via main() → summarize()`,
    );
    assert.match(reason('index.ts', 'content: text'), new RegExp(`^inside attest\\(\\) at ${index}:\\d+$`));
    assert.match(reason('index.ts', 'openai.models.list'), /^inside withAttested\(\) at /);
    assert.match(
      reason('index.ts', 'openai.moderations'),
      /^only called from attested code \(inside attest\(\) at .*index\.ts:\d+\)$/,
    );
    assert.match(
      reason('index.ts', 'openai.images'),
      /^only called through a value the scan cannot follow \(onEvent\(\) at .*index\.ts:\d+\)$/,
    );
    assert.match(
      reason('service.ts', 'this.client.messages', 'async answer('),
      /^method answer\(\) has @attest\(\) at /,
    );
    assert.match(
      reason('service.ts', 'this.client.messages', 'async brief('),
      /^method brief\(\) has @mima\.attest\(\) at /,
    );
    assert.equal(
      reason('service.ts', 'this.client.messages', 'async draft('),
      'exported method Support.draft() reaches it',
    );
    assert.equal(reason('service.ts', 'trusted.chat'), `client from mima.wrap() at ${service}:6`);
    assert.equal(
      reason('service.ts', 'this.client.messages', 'async internal('),
      'Support.internal() is never called directly in the scanned files and not exported',
    );
    assert.match(reason('service.ts', 'new OpenAI().completions'), /^inside mima\.wrap\(\) at /);
  });

  describe('CommonJS require() of an SDK (the default export is module.exports at run time)', () => {
    // Before, the checker typed require('openai') as the module namespace, `new` on it as an
    // error and the client as any: the default forms below were found 0 times, silently.
    const sites = (fixture: string) => {
      const dir = path.join(FIXTURES, 'commonjs', fixture);
      const report = scan({ paths: [dir], displayRoot: dir });
      return report.sites.map((s) => `${s.file}:${s.line}:${s.column} ${s.call_site} ${s.verdict}`);
    };

    it('finds the default, named and namespace forms, in .js, .cjs and .ts (import = require), without a tsconfig', () => {
      assert.deepEqual(sites('plain'), [
        'ai-named.js:4:10 ai.generateText unattested',
        'anthropic-default.js:5:1 anthropic.Anthropic.messages unattested',
        'import-equals.ts:5:3 openai.OpenAI.embeddings unattested',
        'openai-default.cjs:4:3 openai.OpenAI.chat unattested',
        'openai-default.js:6:1 openai.OpenAI.chat unattested',
        'openai-named.js:5:1 openai.OpenAI.embeddings unattested',
        'openai-namespace.js:5:1 openai.OpenAI.responses unattested',
        // A client required from another module, and one kept in a field set by the constructor.
        'service.js:10:12 anthropic.Anthropic.messages unattested',
        'service.js:18:12 openai.OpenAI.moderations unattested',
      ]);
    });

    it('finds them in a "type": "module" package (.cjs, and .js with or without createRequire)', () => {
      assert.deepEqual(sites('esm-package'), [
        'anthropic-default.js:6:3 anthropic.Anthropic.messages unattested',
        'create-require.js:8:3 openai.OpenAI.completions unattested',
        'openai-default.cjs:5:1 openai.OpenAI.chat unattested',
      ]);
    });

    it('finds them under a tsconfig.json, and tells the attested call from the unattested one', () => {
      assert.deepEqual(sites('tsconfig'), [
        'src/app.js:6:1 openai.OpenAI.chat unattested',
        'src/app.js:8:45 openai.OpenAI.chat attested',
      ]);
    });

    it("reads a JavaScript project's jsconfig.json (its paths) when there is no tsconfig.json", () => {
      const dir = path.join(FIXTURES, 'commonjs', 'jsconfig');
      const report = scan({ paths: [dir], displayRoot: dir });
      assert.equal(report.tsconfig, 'jsconfig.json');
      assert.deepEqual(sites('jsconfig'), ['src/app.js:4:1 anthropic.Anthropic.messages unattested']);
    });
  });

  describe('command line', () => {
    it('prints file:line:col, call site, verdict and reason, sorted, then the counts', () => {
      const { status, stdout } = cli(['scan', 'test/fixtures/scan/verdicts']);
      assert.equal(status, 0);
      const lines = stdout.trimEnd().split('\n');
      const rows = lines.slice(0, -2);
      assert.equal(rows.length, 19);
      assert.match(
        rows[0],
        /^test\/fixtures\/scan\/verdicts\/src\/edge\.mjs:\d+:\d+ +ai\.generateText +unattested +exported function reply\(\) reaches it$/,
      );
      const keys = rows.map((row) =>
        row
          .split(/\s+/)[0]
          .replace(
            /:(\d+):(\d+)$/,
            (_m, l: string, c: string) => `:${l.padStart(5, '0')}:${c.padStart(5, '0')}`,
          ),
      );
      assert.deepEqual(keys, [...keys].sort());
      assert.equal(lines.at(-2), '');
      assert.match(
        lines.at(-1) ?? '',
        /^19 AI call sites: 7 unattested, 4 unknown, 8 attested \(6 files scanned in \d+\.\d s\)$/,
      );
    });

    it('prints one JSON object with --json', () => {
      const { status, stdout } = cli(['scan', '--json', 'test/fixtures/scan/mistral']);
      assert.equal(status, 0);
      const report = JSON.parse(stdout) as ScanReport;
      assert.equal(report.tsconfig, 'test/fixtures/scan/mistral/tsconfig.json');
      assert.deepEqual(report.summary, { total: 3, unattested: 3, unknown: 0, attested: 0 });
      assert.deepEqual(Object.keys(report.sites[0]).sort(), [
        'call_site',
        'column',
        'expression',
        'file',
        'line',
        'package',
        'reason',
        'verdict',
      ]);
    });

    it('exits 1 with --fail-on-unattested when a site is unattested, 0 when none is', () => {
      assert.equal(cli(['scan', '--fail-on-unattested', 'test/fixtures/scan/mistral']).status, 1);
      assert.equal(cli(['scan', 'test/fixtures/scan/mistral']).status, 0);
      const clean = cli(['scan', '--fail-on-unattested', 'test/fixtures/scan/verdicts/src/not-sdk.ts']);
      assert.equal(clean.status, 0);
      assert.match(clean.stdout, /^0 AI call sites: 0 unattested, 0 unknown, 0 attested/);
    });

    it('exits 2 naming an unknown flag and the accepted ones', () => {
      const { status, stderr } = cli(['scan', '--fail-on-unatested']);
      assert.equal(status, 2);
      assert.match(stderr, /--fail-on-unatested/);
      assert.match(stderr, /accepted: --json, --fail-on-unattested, --help/);
    });

    it('exits 2 naming a path that does not exist', () => {
      const { status, stderr } = cli(['scan', 'test/fixtures/scan/nope']);
      assert.equal(status, 2);
      assert.match(stderr, /no such file or directory "test\/fixtures\/scan\/nope"/);
    });

    it('exits 2 with how to install typescript when it cannot be resolved', () => {
      const preload = path.join(FIXTURES, 'no-typescript-preload.js');
      const { status, stderr } = cli(['scan', 'test/fixtures/scan/mistral'], { preload });
      assert.equal(status, 2);
      assert.equal(stderr.trim(), MISSING_TYPESCRIPT);
      assert.match(
        stderr,
        /npm install --save-dev typescript@6, or run it with its own: npx -p typescript@6 /,
      );
    });

    it("uses the scanned project's typescript before the guard's", () => {
      const dir = makeTempDir('mima-scan-');
      const ts = path.join(dir, 'node_modules', 'typescript');
      fs.mkdirSync(ts, { recursive: true });
      fs.writeFileSync(path.join(dir, 'package.json'), '{"name":"scan-own-typescript","private":true}');
      fs.writeFileSync(path.join(ts, 'package.json'), '{"name":"typescript","main":"index.js"}');
      fs.writeFileSync(
        path.join(ts, 'index.js'),
        `process.stderr.write('project typescript\\n');\nmodule.exports = require(${JSON.stringify(require.resolve('typescript'))});`,
      );
      fs.writeFileSync(path.join(dir, 'app.ts'), 'export const x = 1;\n');
      const { status, stderr } = cli(['scan', dir]);
      assert.equal(status, 0);
      assert.equal(stderr, 'project typescript\n');
    });

    it("passes over the project's typescript 7 (no compiler API) for the guard's, never exiting 1", () => {
      // typescript 7 is the native compiler: its package has no JavaScript API. Before, the scan
      // failed with "Cannot read properties of undefined (reading 'ES2022')" and exit 1.
      const dir = makeTempDir('mima-scan-');
      try {
        const ts = path.join(dir, 'node_modules', 'typescript');
        fs.mkdirSync(ts, { recursive: true });
        fs.writeFileSync(path.join(dir, 'package.json'), '{"name":"scan-ts7","private":true}');
        fs.writeFileSync(
          path.join(ts, 'package.json'),
          '{"name":"typescript","version":"7.0.2","main":"index.js"}',
        );
        fs.writeFileSync(path.join(ts, 'index.js'), 'module.exports = { version: "7.0.2" };');
        fs.writeFileSync(path.join(dir, 'app.ts'), 'export const x = 1;\n');
        assert.equal(cli(['scan', dir]).status, 0, "the guard's own typescript scans it");
        // With no usable typescript anywhere: exit 2 naming the unusable one and what is accepted.
        const preload = path.join(dir, 'only-project-ts.js');
        fs.writeFileSync(
          preload,
          `const Module = require('module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, isMain, options) {
  if (request === 'typescript') return ${JSON.stringify(path.join(ts, 'index.js'))};
  if (request === '@typescript/typescript6') throw Object.assign(new Error('absent'), { code: 'MODULE_NOT_FOUND' });
  return resolve.call(this, request, parent, isMain, options);
};`,
        );
        const { status, stderr } = cli(['scan', dir], { preload });
        assert.equal(status, 2);
        assert.match(stderr, /version 7\.0\.2\) does not have; accepted: typescript 5\.x or 6\.x/);
        assert.match(
          stderr,
          /typescript 7, run the scan with its own: npx -p typescript@6 -p @mima-governance/,
        );
        // Named once, though the project's copy is also the one found from the guard's directory.
        assert.equal(stderr.split('version 7.0.2').length, 2, stderr);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('scans a typescript 7 project with @typescript/typescript6 beside it', () => {
      // Before, the message advised typescript 6 "under another name", and the scan never looked
      // for one.
      const dir = makeTempDir('mima-scan-');
      try {
        const modules = path.join(dir, 'node_modules');
        const ts7 = path.join(modules, 'typescript');
        const ts6 = path.join(modules, '@typescript', 'typescript6');
        fs.mkdirSync(ts7, { recursive: true });
        fs.mkdirSync(ts6, { recursive: true });
        fs.writeFileSync(path.join(dir, 'package.json'), '{"name":"scan-ts7-ts6","private":true}');
        fs.writeFileSync(
          path.join(ts7, 'package.json'),
          '{"name":"typescript","version":"7.0.2","main":"index.js"}',
        );
        fs.writeFileSync(path.join(ts7, 'index.js'), 'module.exports = { version: "7.0.2" };');
        fs.writeFileSync(
          path.join(ts6, 'package.json'),
          '{"name":"@typescript/typescript6","version":"6.0.3","main":"index.js"}',
        );
        fs.writeFileSync(
          path.join(ts6, 'index.js'),
          `process.stderr.write('typescript6\\n');\nmodule.exports = require(${JSON.stringify(require.resolve('typescript'))});`,
        );
        fs.writeFileSync(path.join(dir, 'app.ts'), 'export const x = 1;\n');
        // The guard's own typescript is hidden: only the project's two packages are there.
        const preload = path.join(dir, 'project-typescript-only.js');
        fs.writeFileSync(
          preload,
          `const Module = require('module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, isMain, options) {
  if (request === 'typescript') return ${JSON.stringify(path.join(ts7, 'index.js'))};
  if (request === '@typescript/typescript6') return ${JSON.stringify(path.join(ts6, 'index.js'))};
  return resolve.call(this, request, parent, isMain, options);
};`,
        );
        const { status, stderr } = cli(['scan', dir], { preload });
        assert.equal(stderr, 'typescript6\n');
        assert.equal(status, 0);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('lists scan in the usage text', () => {
      assert.match(cli(['--help']).stdout, /^ {2}scan +find AI SDK calls outside attest\(\)/m);
      assert.match(
        cli(['scan', '--help']).stdout,
        /^Usage: mima-guard scan \[path \.\.\.\] \[--json\] \[--fail-on-unattested\]/,
      );
    });
  });

  describe('typescript as an optional peer dependency', () => {
    it('is declared optional in package.json', () => {
      const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
        peerDependencies: Record<string, string>;
        peerDependenciesMeta: Record<string, { optional?: boolean }>;
        dependencies: Record<string, string>;
      };
      assert.ok(pkg.peerDependencies.typescript);
      assert.equal(pkg.peerDependenciesMeta.typescript.optional, true);
      assert.equal(pkg.dependencies.typescript, undefined);
    });

    it('is never loaded by the guard, its register hook or mima-guard report', () => {
      const probe = `
const loaded = () => Object.keys(require.cache).some((f) => f.includes('/node_modules/typescript/'));
require(${JSON.stringify(path.join(ROOT, 'build', 'src', 'index.js'))});
require(${JSON.stringify(path.join(ROOT, 'build', 'src', 'command', 'cli', 'report.js'))});
process.stdout.write(String(loaded()));`;
      const result = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8' });
      assert.equal(result.stdout, 'false', result.stderr);
      const report = cli(['report', '--file', path.join(os.tmpdir(), 'mima-scan-no-such.jsonl')], {
        preload: path.join(FIXTURES, 'no-typescript-preload.js'),
      });
      assert.equal(report.status, 0, report.stderr);
    });
  });
});
