import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeFigure } from '../figures';
import { median } from '../stats';
import type { CaseContext, CaseOutcome } from './context';

/** The package root: the CLI to time and the node_modules the generated project resolves SDKs from. */
const ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'build', 'src', 'command', 'cli.js');

interface Expected {
  attested: number;
  unattested: number;
  unknown: number;
}

/**
 * A project of `files` TypeScript modules shaped like an app: most files are plain code (services,
 * repositories, helpers calling each other, with SDK-like names: `repo.create()`, `cache.get()`, so
 * the name pre-filter lets some through to the checker), and one in five calls openai, Anthropic or
 * the ai SDK: through a shared client module, a class field, attest(), a callback, a stored handler.
 * Returns what the scan must find.
 */
export function generateProject(dir: string, files: number): Expected {
  const src = path.join(dir, 'src');
  fs.mkdirSync(src, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), '{"name":"scan-bench-app","private":true}\n');
  fs.writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'commonjs',
        moduleResolution: 'node10',
        strict: true,
        esModuleInterop: true,
        skipLibCheck: true,
        noEmit: true,
        types: [],
        lib: ['ES2023'],
        paths: { '@mima-governance/instrumentation-guard': [path.join(ROOT, 'build', 'src', 'index.d.ts')] },
      },
      include: ['src'],
    }),
  );
  // The SDKs' types come from this repository's install, as an app's come from its own.
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  fs.writeFileSync(
    path.join(src, 'clients.ts'),
    `import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
export const openai = new OpenAI({ apiKey: 'sk-bench' });
export const anthropic = new Anthropic({ apiKey: 'sk-bench' });
`,
  );
  const expected: Expected = { attested: 0, unattested: 0, unknown: 0 };
  for (let i = 0; i < files - 1; i++) {
    const ai = i % 5 === 0;
    fs.writeFileSync(path.join(src, `m${i}.ts`), ai ? aiModule(i, expected) : plainModule(i));
  }
  return expected;
}

/** Ordinary code: a repository, a cache, a service calling the previous module. */
function plainModule(i: number): string {
  const previous = i > 0 && (i - 1) % 5 !== 0 ? `import { service${i - 1} } from './m${i - 1}';` : '';
  const call = previous ? `await service${i - 1}.handle(input.slice(1));` : '';
  return `${previous}
interface Row${i} { id: number; name: string; tags: string[] }

class Repository${i} {
  private rows = new Map<number, Row${i}>();
  create(row: Row${i}): Row${i} { this.rows.set(row.id, row); return row; }
  get(id: number): Row${i} | undefined { return this.rows.get(id); }
  list(): Row${i}[] { return [...this.rows.values()]; }
  delete(id: number): boolean { return this.rows.delete(id); }
}

function normalise${i}(name: string): string {
  return name.trim().toLowerCase().replace(/\\s+/g, '-');
}

export class Service${i} {
  private repo = new Repository${i}();
  async handle(input: string): Promise<number> {
    ${call}
    const row = this.repo.create({ id: input.length, name: normalise${i}(input), tags: input.split(',') });
    const cache = new Map<string, Row${i}>([[row.name, row]]);
    const found = this.repo.get(row.id) ?? cache.get(row.name);
    return this.repo.list().filter((r) => r.tags.includes(found?.name ?? '')).length;
  }
}

export const service${i} = new Service${i}();
`;
}

/** Four SDK calls: unattested (exported), attested (attest()), unknown (a stored handler), attested (only called from attested code). */
function aiModule(i: number, expected: Expected): string {
  expected.unattested += 1;
  expected.attested += 2;
  expected.unknown += 1;
  return `import { attest } from '@mima-governance/instrumentation-guard';
import { generateText } from 'ai';
import { anthropic, openai } from './clients';

export async function answer${i}(questions: string[]): Promise<unknown[]> {
  return Promise.all(questions.map((q) => openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: q }] })));
}

export const classify${i} = attest({ toolName: 'classify${i}' }, async (text: string) =>
  anthropic.messages.create({ model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: text }] }),
);

async function onMessage${i}(text: string): Promise<unknown> {
  return generateText({ model: 'openai/gpt-4o-mini', prompt: text });
}
const handlers${i}: Array<(text: string) => Promise<unknown>> = [];
handlers${i}.push(onMessage${i});

async function embedQuietly${i}(text: string): Promise<unknown> {
  return openai.embeddings.create({ model: 'text-embedding-3-small', input: text });
}
export const embed${i} = attest(async (text: string) => embedQuietly${i}(text));
`;
}

interface CliReport {
  files: number;
  summary: Expected & { total: number };
  seconds: number;
}

/** One `mima-guard scan --json` process, timed from spawn to exit. */
function scanOnce(dir: string): { wall: number; report: CliReport } {
  const start = process.hrtime.bigint();
  const child = spawnSync(process.execPath, [CLI, 'scan', '--json', dir], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 120_000,
  });
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  if (child.status !== 0) throw new Error(`scan exited with ${child.status}: ${child.stderr}`);
  return { wall, report: JSON.parse(child.stdout) as CliReport };
}

/**
 * Static scan: `mima-guard scan` of a generated project (1,000 files in a full run), as a CLI
 * process from spawn to exit (Node start-up and loading typescript included), repeated.
 */
export async function scanCase(ctx: CaseContext): Promise<CaseOutcome> {
  const files = ctx.sizes.scanFiles;
  const dir = path.join(ctx.tmp, 'scan-project');
  const expected = generateProject(dir, files);
  const walls: number[] = [];
  const inside: number[] = [];
  let report: CliReport | undefined;
  for (let run = 0; run < ctx.sizes.scanRuns; run++) {
    const once = scanOnce(dir);
    walls.push(once.wall);
    inside.push(once.report.seconds);
    report = once.report;
  }
  if (!report) throw new Error('no scan ran');
  const found = {
    attested: report.summary.attested,
    unattested: report.summary.unattested,
    unknown: report.summary.unknown,
  };
  if (JSON.stringify(found) !== JSON.stringify(expected)) {
    throw new Error(
      `scan found ${JSON.stringify(found)}, the generated project has ${JSON.stringify(expected)}`,
    );
  }
  const wall = median(walls);
  ctx.print(
    `${report.files} files, ${report.summary.total} call sites (${JSON.stringify(found)}), as expected`,
  );
  ctx.print(
    `${ctx.sizes.scanRuns} runs: median ${wall.toFixed(2)} s from spawn to exit, ${median(inside).toFixed(2)} s inside the scan`,
  );
  return {
    figures: [
      makeFigure({
        id: 'scan',
        figure: 'static scan (mima-guard scan) of a generated project',
        setup: `${report.files} files, ${report.summary.total} call sites`,
        value: wall,
        unit: 's',
        measured: `${wall.toFixed(2)} s`,
        target: { op: '<=', value: 10, text: '≤ 10 s for 1,000 files' },
      }),
    ],
    details: { files: report.files, sites: report.summary, walls, inside },
  };
}
