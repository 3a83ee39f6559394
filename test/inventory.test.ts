import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import { npmPurl } from '../src/command/cli/cyclonedx';
import {
  ROOT,
  cli,
  installedVersion,
  inventoryProject,
  removeInventoryProjects,
} from './helpers/inventory-project';
import { record, writeLog } from './helpers/report-cli';

const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'cyclonedx');

/** The CycloneDX 1.6 JSON schema with the two schemas it references, as published (draft-07). */
const validate = (() => {
  const ajv = new Ajv({ allErrors: true, logger: false, unknownFormats: 'ignore' });
  for (const name of ['spdx.schema.json', 'jsf-0.82.schema.json']) {
    ajv.addSchema(JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')) as object, name);
  }
  return ajv.compile(
    JSON.parse(fs.readFileSync(path.join(FIXTURES, 'bom-1.6.schema.json'), 'utf8')) as object,
  );
})();

interface Occurrence {
  location: string;
  line: number;
  offset: number;
  symbol: string;
  additionalContext: string;
}
interface Component {
  type: string;
  'bom-ref': string;
  group?: string;
  name: string;
  version?: string;
  purl?: string;
  publisher?: string;
  properties: Array<{ name: string; value: string }>;
  evidence?: { occurrences: Occurrence[] };
}
interface Bom {
  bomFormat: string;
  specVersion: string;
  metadata: { component: { name: string; version?: string } };
  components: Component[];
  services: Array<{ 'bom-ref': string; name: string }>;
  dependencies: Array<{ ref: string; dependsOn: string[] }>;
}

const project = inventoryProject;

/** `// inventory: <provider> <model|-> <verdict>` above each call (the line below it). */
function markers(dir: string) {
  const out: Array<{ file: string; line: number; provider: string; model: string | null; verdict: string }> =
    [];
  for (const file of ['src/chat.js', 'src/agent.mjs']) {
    fs.readFileSync(path.join(dir, file), 'utf8')
      .split('\n')
      .forEach((text, i) => {
        const m = /\/\/ inventory: (\S+) (\S+) (\w+)/.exec(text);
        if (m)
          out.push({ file, line: i + 2, provider: m[1], model: m[2] === '-' ? null : m[2], verdict: m[3] });
      });
  }
  return out;
}

describe('mima-guard inventory (CycloneDX 1.6)', function () {
  this.timeout(120_000);
  after(removeInventoryProjects);

  it('is a valid CycloneDX 1.6 BOM: the SDKs with installed versions and purls, models, providers, call sites as evidence', () => {
    const dir = project();
    const { status, stdout, stderr } = cli(dir, ['inventory']);
    assert.equal(status, 0, stderr);
    const bom = JSON.parse(stdout) as Bom;
    assert.ok(validate(bom), `not CycloneDX 1.6: ${JSON.stringify(validate.errors, null, 2)}`);
    // The validator is not vacuous: a component type the schema does not know is refused.
    assert.equal(validate({ ...bom, components: [{ type: 'ai-sdk', name: 'x' }] }), false);
    assert.equal(bom.bomFormat, 'CycloneDX');
    assert.equal(bom.specVersion, '1.6');
    assert.deepEqual(bom.metadata.component, {
      type: 'application',
      'bom-ref': 'project',
      name: 'inventory-fixture-app',
      version: '1.2.3',
    });

    const libraries = bom.components.filter((c) => c.type === 'library');
    assert.deepEqual(
      libraries.map((c) => [c.group ?? '', c.name, c.version, c.purl]).sort(),
      [
        ['', 'ai', installedVersion('ai'), `pkg:npm/ai@${installedVersion('ai')}`],
        ['', 'openai', installedVersion('openai'), `pkg:npm/openai@${installedVersion('openai')}`],
        // The provider package is a patched SDK too (its models' doGenerate), used by agent.mjs.
        [
          '@ai-sdk',
          'openai',
          installedVersion('@ai-sdk/openai'),
          `pkg:npm/%40ai-sdk/openai@${installedVersion('@ai-sdk/openai')}`,
        ],
        [
          '@anthropic-ai',
          'sdk',
          installedVersion('@anthropic-ai/sdk'),
          `pkg:npm/%40anthropic-ai/sdk@${installedVersion('@anthropic-ai/sdk')}`,
        ],
      ].sort(),
    );

    // Every marked call is an occurrence of its SDK at its line, with its verdict and call site.
    const expected = markers(dir);
    const occurrences = libraries.flatMap((c) => c.evidence?.occurrences ?? []);
    assert.deepEqual(
      occurrences.map((o) => `${o.location}:${o.line} ${o.additionalContext.split(':')[0]}`).sort(),
      expected.map((m) => `${m.file}:${m.line} ${m.verdict}`).sort(),
    );
    const openai = libraries.find((c) => c.name === 'openai' && !c.group)!;
    assert.ok(openai.evidence!.occurrences.some((o) => o.symbol === 'openai.OpenAI.chat' && o.offset > 1));
    assert.deepEqual(
      openai.properties.filter((p) => p.name.startsWith('mima:call_sites:')).map((p) => p.value),
      ['2', '0', '1'],
    );

    // Models named in code, by provider, each with the lines that name it.
    const models = bom.components.filter((c) => c.type === 'machine-learning-model');
    assert.deepEqual(
      models
        .map(
          (m) =>
            `${m.publisher} ${m.name} ${m.evidence!.occurrences.map((o) => `${o.location}:${o.line}`).join(',')}`,
        )
        .sort(),
      expected
        .filter((m) => m.model)
        .map((m) => `${m.provider} ${m.model} ${m.file}:${m.line}`)
        .sort(),
    );
    assert.deepEqual(
      bom.services.map((s) => s.name),
      ['anthropic', 'azure.ai.openai', 'openai'],
    );
    const openaiDeps = bom.dependencies.find((d) => d.ref === openai['bom-ref'])!;
    assert.ok(openaiDeps.dependsOn.includes('service:azure.ai.openai'), JSON.stringify(openaiDeps));
    assert.ok(openaiDeps.dependsOn.includes('model:openai/gpt-4o-mini'), JSON.stringify(openaiDeps));
    // No code in the BOM: the prompt-building line's text is nowhere.
    assert.doesNotMatch(stdout, /content: text|role: 'user'/);
  });

  it('lists an installed SDK the code does not call, and none that is neither installed nor called', () => {
    const dir = project();
    fs.rmSync(path.join(dir, 'node_modules', '@anthropic-ai'), { recursive: true });
    const groq = path.join(dir, 'node_modules', 'groq-sdk');
    fs.mkdirSync(groq);
    fs.writeFileSync(path.join(groq, 'package.json'), JSON.stringify({ name: 'groq-sdk', version: '0.9.1' }));
    const { status, stdout, stderr } = cli(dir, ['inventory', 'src/agent.mjs']);
    assert.equal(status, 0, stderr);
    const bom = JSON.parse(stdout) as Bom;
    assert.ok(validate(bom), JSON.stringify(validate.errors, null, 2));
    const groqComponent = bom.components.find((c) => c.name === 'groq-sdk')!;
    assert.equal(groqComponent.purl, 'pkg:npm/groq-sdk@0.9.1');
    assert.equal(groqComponent.evidence, undefined);
    assert.ok(!bom.components.some((c) => c.group === '@anthropic-ai'), 'not installed and not called here');
  });

  it('--file adds the calls recorded at run time as evidence of their SDK, next to the static sites', () => {
    const dir = project();
    const log = path.join(dir, 'guard_log.jsonl');
    writeLog(log, [
      record({ id: 'a', code_file: 'src/chat.js', code_line: 13 }),
      record({ id: 'b', code_file: 'src/chat.js', code_line: 13, blocked: true, mode: 'block' }),
      record({
        id: 'c',
        call_site: 'google-genai.GoogleGenAI.models',
        code_file: 'src/late.js',
        code_line: 4,
      }),
    ]);
    const { status, stdout, stderr } = cli(dir, ['inventory', '--file', log]);
    assert.equal(status, 0, stderr);
    const bom = JSON.parse(stdout) as Bom;
    assert.ok(validate(bom), JSON.stringify(validate.errors, null, 2));
    const runtime = (c: Component | undefined) =>
      c?.evidence?.occurrences.filter((o) => o.additionalContext.startsWith('recorded at run time'));
    const openai = bom.components.find((c) => c.name === 'openai' && !c.group);
    assert.deepEqual(
      runtime(openai)?.map((o) => `${o.location}:${o.line} ${o.symbol} ${o.additionalContext.split(',')[0]}`),
      ['src/chat.js:13 openai.OpenAI.chat recorded at run time: 2 unattested calls'],
    );
    assert.equal(openai?.properties.find((p) => p.name === 'mima:runtime:unattested_calls')?.value, '2');
    // An SDK seen only at run time is listed too.
    const genai = bom.components.find((c) => c.group === '@google' && c.name === 'genai');
    assert.deepEqual(
      runtime(genai)?.map((o) => `${o.location}:${o.line}`),
      ['src/late.js:4'],
    );
    const missing = cli(dir, ['inventory', '--file', path.join(dir, 'none.jsonl')]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /no log at/);
  });

  it('--format json prints the inventory; a bad format is a usage error (2) naming the formats, md included', () => {
    const dir = project();
    const json = cli(dir, ['inventory', '--format', 'json']);
    assert.equal(json.status, 0, json.stderr);
    const inventory = JSON.parse(json.stdout) as { sdks: Array<{ package: string; installedAt: string }> };
    assert.equal(inventory.sdks.find((s) => s.package === 'openai')!.installedAt, 'node_modules/openai');
    const bad = cli(dir, ['inventory', '--format', 'spdx']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--format takes cyclonedx, json, md, not "spdx"/);
  });

  it('purls encode the npm scope', () => {
    assert.equal(npmPurl('@google/genai', '1.2.0'), 'pkg:npm/%40google/genai@1.2.0');
    assert.equal(npmPurl('openai', null), 'pkg:npm/openai');
  });
});
