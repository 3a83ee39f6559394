import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { visible } from '../src/command/cli/terminal-text';
import { PACKAGE_VERSION } from '../src/app/version';
import {
  ROOT,
  cli,
  installedVersion,
  inventoryProject,
  removeInventoryProjects,
} from './helpers/inventory-project';
import { record, writeLog } from './helpers/report-cli';

/**
 * The tables of a Markdown document as a GFM parser reads them (micromark with its GFM extension,
 * in a child: it is ESM only), each cell as its text. The parser is a devDependency.
 */
function gfmTables(markdown: string): string[][][] {
  const script = `
    import { fromMarkdown } from 'mdast-util-from-markdown';
    import { gfm } from 'micromark-extension-gfm';
    import { gfmFromMarkdown } from 'mdast-util-gfm';
    import { readFileSync } from 'node:fs';
    const tree = fromMarkdown(readFileSync(0, 'utf8'), { extensions: [gfm()], mdastExtensions: [gfmFromMarkdown()] });
    const text = (node) => node.value ?? (node.children ?? []).map(text).join('');
    const tables = tree.children.filter((node) => node.type === 'table');
    process.stdout.write(JSON.stringify(tables.map((t) => t.children.map((row) => row.children.map(text)))));`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: ROOT,
    input: markdown,
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as string[][][];
}

describe('mima-guard inventory --format md', function () {
  this.timeout(120_000);
  after(removeInventoryProjects);

  it('is the project, then the SDK, model, provider and call site tables, each row at its line', () => {
    const dir = inventoryProject();
    const log = path.join(dir, 'guard_log.jsonl');
    writeLog(log, [
      record({ id: 'a', code_file: 'src/chat.js', code_line: 17 }),
      record({ id: 'b', code_file: 'src/chat.js', code_line: 17, blocked: true, mode: 'block' }),
      record({
        id: 'c',
        call_site: 'google-genai.GoogleGenAI.models',
        code_file: 'src/late.js',
        code_line: 4,
      }),
    ]);
    const { status, stdout, stderr } = cli(dir, ['inventory', '--format', 'md', '--file', log]);
    assert.equal(status, 0, stderr);
    const v = installedVersion;
    const expected = [
      '# AI inventory: `inventory-fixture-app` `1.2.3`',
      '',
      'From the static scan of the code and the unattested calls the guard recorded in the logs given, ' +
        `by \`@mima-governance/instrumentation-guard\` ${PACKAGE_VERSION} (\`mima-guard inventory --format md\`).`,
      'Verdicts: unattested (the call can run outside attest()), unknown (the scan cannot tell), attested.',
      '',
      '## AI SDKs',
      '',
      '| Package | Installed version | Call sites unattested | Call sites unknown | Call sites attested | Runtime unattested calls |',
      '| --- | --- | --- | --- | --- | --- |',
      `| \`@ai-sdk/openai\` | \`${v('@ai-sdk/openai')}\` | 0 | 0 | 0 | 0 |`,
      `| \`@anthropic-ai/sdk\` | \`${v('@anthropic-ai/sdk')}\` | 1 | 0 | 0 | 0 |`,
      '| `@google/genai` | not installed | 0 | 0 | 0 | 1 |',
      `| \`ai\` | \`${v('ai')}\` | 1 | 0 | 0 | 0 |`,
      `| \`openai\` | \`${v('openai')}\` | 2 | 0 | 1 | 2 (1 blocked) |`,
      '',
      '## Models named in code',
      '',
      '| Provider | Model | Named at |',
      '| --- | --- | --- |',
      '| `anthropic` | `claude-3-5-haiku-latest` | `src/chat.js:35` |',
      '| `openai` | `gpt-4o` | `src/agent.mjs:7` |',
      '| `openai` | `gpt-4o-mini` | `src/chat.js:17` |',
      '| `openai` | `text-embedding-3-small` | `src/chat.js:25` |',
      '',
      '## Providers',
      '',
      '| Provider (gen_ai.provider.name) | Reached through | Models named |',
      '| --- | --- | --- |',
      '| `anthropic` | `@anthropic-ai/sdk` | `claude-3-5-haiku-latest` |',
      '| `azure.ai.openai` | `openai` |  |',
      '| `openai` | `ai`, `openai` | `gpt-4o`, `gpt-4o-mini`, `text-embedding-3-small` |',
      '',
      '## Call sites',
      '',
      '| Location | Call site | Verdict | Runtime unattested calls |',
      '| --- | --- | --- | --- |',
      '| `src/agent.mjs:7` | `ai.generateText` | unattested | 0 |',
      '| `src/chat.js:17` | `openai.OpenAI.chat` | unattested | 2 (1 blocked) |',
      '| `src/chat.js:25` | `openai.OpenAI.embeddings` | attested | 0 |',
      '| `src/chat.js:30` | `openai.AzureOpenAI.chat` | unattested | 0 |',
      '| `src/chat.js:35` | `anthropic.Anthropic.messages` | unattested | 0 |',
      // Recorded where the scan found no call: listed, so no record is left out.
      '| `src/late.js:4` | `google-genai.GoogleGenAI.models` | not found by the scan (recorded at run time) | 1 |',
    ];
    assert.deepEqual(stdout.split('\n'), [...expected, '']);
    // No code: the prompt-building line's text is nowhere.
    assert.doesNotMatch(stdout, /content: text|role: 'user'|messages: \[/);

    // Without --file there is no runtime column.
    const plain = cli(dir, ['inventory', '--format', 'md']);
    assert.equal(plain.status, 0, plain.stderr);
    const lines = plain.stdout.split('\n');
    assert.equal(
      lines[2],
      `From the static scan of the code, by \`@mima-governance/instrumentation-guard\` ${PACKAGE_VERSION} (\`mima-guard inventory --format md\`).`,
    );
    assert.equal(
      lines[7],
      '| Package | Installed version | Call sites unattested | Call sites unknown | Call sites attested |',
    );
    assert.equal(
      lines[lines.indexOf('## Call sites') + 4],
      '| `src/agent.mjs:7` | `ai.generateText` | unattested |',
    );
  });

  it('a hostile file name, model, call site or log location cannot break a table or be read as Markdown', () => {
    const dir = inventoryProject();
    const hostileFile = 'src/evil|`x`\n| forged | row |\u202e<img src=x onerror=alert(1)> @someone #1.js';
    const hostileModel = 'm|``a``\n| forged |';
    fs.writeFileSync(
      path.join(dir, hostileFile),
      "const OpenAI = require('openai');\nconst client = new OpenAI();\n" +
        `exports.go = () => client.chat.completions.create({ model: ${JSON.stringify(hostileModel)}, messages: [] });\n`,
    );
    const hostileCallSite = 'openai.x|y\n| forged | row |`';
    const hostileLog = '`a|b\u001b[2J.js';
    const log = path.join(dir, 'guard_log.jsonl');
    writeLog(log, [record({ call_site: hostileCallSite, code_file: hostileLog, code_line: 3 })]);
    const { status, stdout, stderr } = cli(dir, ['inventory', '--format', 'md', '--file', log]);
    assert.equal(status, 0, stderr);

    // No control character is printed raw, and no forged line starts a row.
    // eslint-disable-next-line no-control-regex -- looking for control characters is the point
    assert.doesNotMatch(stdout, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    assert.ok(!stdout.split('\n').some((line) => line.startsWith('| forged')), stdout);
    // Every row has its header's cells, counting the pipes no backslash escapes.
    const cells = (line: string) => line.split(/(?<!\\)\|/).length;
    const rows = stdout.split('\n');
    for (const [i, line] of rows.entries()) {
      if (!line.startsWith('|') || rows[i - 1]?.startsWith('|')) continue;
      for (let j = i; rows[j]?.startsWith('|'); j++) assert.equal(cells(rows[j]), cells(line), rows[j]);
    }

    // A GFM parser reads each hostile string back as one cell, shown as the terminal shows it.
    const tables = gfmTables(stdout);
    const [, models, , sites] = tables;
    for (const table of tables) for (const row of table) assert.equal(row.length, table[0].length);
    assert.ok(
      models.some((row) => row[1] === visible(hostileModel) && row[2] === `${visible(hostileFile)}:3`),
    );
    assert.ok(sites.some((row) => row[0] === `${visible(hostileFile)}:3` && row[1] === 'openai.OpenAI.chat'));
    assert.ok(
      sites.some((row) => row[0] === `${visible(hostileLog)}:3` && row[1] === visible(hostileCallSite)),
    );
  });
});
