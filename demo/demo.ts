/**
 * `npm run demo`: starts a local mock OpenAI server, runs the small app (app.ts) once per mode,
 * each in a fresh process, and checks what happened: the mock server's request counts, the
 * app's report over IPC, and the records read back from the guard's JSONL file.
 * Exits 0 when every run behaved as expected, 1 otherwise.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AppResult } from './app';
import { startMockOpenAI, type MockOpenAIServer } from './mock-openai-server';

const APP = path.join(__dirname, 'app.js');
/** Given to the app so the demo can check it appears in no output and no record; never printed. */
const PROMPT = 'Summarise ticket 4711 for the customer in one sentence.';
const APP_TIMEOUT_MS = 30_000;

interface Run {
  /** Sub-directory of the temp dir for this run's JSONL file. */
  name: string;
  mode: 'warn' | 'block' | 'report';
  tracing: boolean;
  heading: string;
  unattested: 'answered' | 'blocked';
  warned: boolean;
  /** Where the record went: the JSONL file always (durable by default), and a span with a TracerProvider. */
  recordTo: 'jsonl' | 'span+jsonl';
  /** Why the record went where it went. */
  why: string;
}

const RUNS: Run[] = [
  {
    name: 'warn',
    mode: 'warn',
    tracing: false,
    heading: 'warn mode: the unattested call goes through, with a warning',
    unattested: 'answered',
    warned: true,
    recordTo: 'jsonl',
    why: 'no TracerProvider is registered, so the record went to the JSONL file',
  },
  {
    name: 'block',
    mode: 'block',
    tracing: false,
    heading: 'block mode: the unattested call is stopped before any request is sent',
    unattested: 'blocked',
    warned: false,
    recordTo: 'jsonl',
    why: 'no TracerProvider is registered, so the record went to the JSONL file',
  },
  {
    name: 'report',
    mode: 'report',
    tracing: false,
    heading: 'report mode: the unattested call goes through silently, and is recorded',
    unattested: 'answered',
    warned: false,
    recordTo: 'jsonl',
    why: 'report mode always writes the JSONL file',
  },
  {
    name: 'warn-with-tracing',
    mode: 'warn',
    tracing: true,
    heading: 'warn mode with a TracerProvider: the record is a mima.ai_call span and a JSONL line',
    unattested: 'answered',
    warned: true,
    recordTo: 'span+jsonl',
    why: 'a span is telemetry, not custody (an exporter down, or a process gone before export, keeps none): the JSONL file keeps the durable copy, with the same record id',
  },
];

interface AppRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  result?: AppResult;
}

async function main(): Promise<number> {
  const server = await startMockOpenAI();
  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-guard-demo-'));
  console.log('Mima guard demo: the same OpenAI chat call, once inside attest() and once outside, per mode.');
  console.log(`Mock OpenAI server: ${server.baseURL} (local, no API key, no network).`);
  console.log(`Guard log files: under ${tempDir} (the temp dir, not ~/.mima), left there to inspect.`);
  console.log('The prompt text is never printed, and the guard never records it.');
  const problems: string[] = [];
  try {
    for (const run of RUNS) {
      const found = await demoRun(run, server, path.join(tempDir, run.name, 'guard_log.jsonl'));
      problems.push(...found.map((problem) => `${run.name}: ${problem}`));
    }
  } finally {
    await server.close();
  }
  console.log('');
  if (problems.length > 0) {
    console.error(`Summary: FAILED, ${problems.length} problem(s):`);
    for (const problem of problems) console.error(`  - ${problem}`);
    return 1;
  }
  console.log(
    'Summary: OK: warn warned, block stopped the call before any request, report recorded silently, ' +
      'and with a TracerProvider the record became a mima.ai_call span.',
  );
  return 0;
}

/** Runs the app once, prints what happened, and returns what did not go as expected. */
async function demoRun(run: Run, server: MockOpenAIServer, logFile: string): Promise<string[]> {
  console.log(`\n== ${run.heading} ==`);
  server.reset();
  const app = await runApp({
    ...process.env,
    MIMA_GUARD_MODE: run.mode,
    MIMA_GUARD_LOG_FILE: logFile,
    // A fixed workspace id, so the guard does not look in ~/.mima/config.json for one.
    MIMA_WORKSPACE_ID: 'demo-workspace',
    MIMA_DEMO_BASE_URL: server.baseURL,
    MIMA_DEMO_PROMPT: PROMPT,
    MIMA_DEMO_TRACING: run.tracing ? '1' : '0',
  });
  for (const line of lines(app.stdout)) console.log(`  app | ${line}`);
  for (const line of lines(app.stderr)) console.log(`  app stderr | ${line}`);

  const counts = server.counts();
  const attestedRequests = counts.attested ?? 0;
  const unattestedRequests = counts.unattested ?? 0;
  const total = server.total();
  const note =
    run.unattested === 'blocked' && unattestedRequests === 0 ? ': the blocked call sent no request' : '';
  console.log(
    `  mock server: ${total} request${total === 1 ? '' : 's'} ` +
      `(attested: ${attestedRequests}, unattested: ${unattestedRequests})${note}`,
  );

  const records = fs.existsSync(logFile) ? lines(fs.readFileSync(logFile, 'utf8')) : [];
  const aiSpans = app.result?.spans.filter((span) => span.name === 'mima.ai_call') ?? [];
  console.log(`  record: ${run.why}`);
  for (const span of aiSpans) {
    console.log(`    span ${span.name}`);
    for (const [key, value] of Object.entries(span.attributes)) {
      console.log(`      ${key} = ${JSON.stringify(value)}`);
    }
  }
  console.log(`    ${logFile}: ${records.length === 0 ? 'no lines' : `${records.length} line(s)`}`);
  for (const record of records) console.log(`      ${record}`);

  const problems = check(run, app, logFile, { attestedRequests, unattestedRequests, total }, records);
  console.log(problems.length === 0 ? '  OK' : problems.map((p) => `  PROBLEM: ${p}`).join('\n'));
  return problems;
}

function check(
  run: Run,
  app: AppRun,
  logFile: string,
  requests: { attestedRequests: number; unattestedRequests: number; total: number },
  records: string[],
): string[] {
  const result = app.result;
  if (app.code !== 0 || !result) {
    return [`the app exited with ${app.signal ?? app.code} without a result`];
  }
  const problems: string[] = [];
  const expect = (ok: boolean, problem: string) => {
    if (!ok) problems.push(problem);
  };
  expect(result.patched.length > 0, 'the guard patched no openai method');
  expect(result.mode === run.mode, `the guard ran in mode ${result.mode}, not ${run.mode}`);
  expect(result.logFile === logFile, `the guard's log file was ${result.logFile}, not ${logFile}`);
  expect(result.attested.status === 'answered', `the attested call was ${result.attested.status}`);
  expect(
    requests.attestedRequests === 1,
    `the attested call sent ${requests.attestedRequests} requests, not 1`,
  );
  expect(
    result.unattested.status === run.unattested,
    `the unattested call was ${result.unattested.status}, expected ${run.unattested}`,
  );
  const wantUnattested = run.unattested === 'blocked' ? 0 : 1;
  expect(
    requests.unattestedRequests === wantUnattested,
    run.unattested === 'blocked'
      ? `block mode let ${requests.unattestedRequests} unattested request(s) reach the server`
      : `the unattested call sent ${requests.unattestedRequests} requests, not 1`,
  );
  expect(requests.total === 1 + wantUnattested, `the server got ${requests.total} requests in all`);
  expect(
    result.warnings.length === (run.warned ? 1 : 0),
    `${result.warnings.length} MimaUnattestedCallWarning(s), expected ${run.warned ? 1 : 0}`,
  );

  const spans = result.spans.filter((span) => span.name === 'mima.ai_call');
  const wantSpans = run.recordTo === 'span+jsonl' ? 1 : 0;
  const wantLines = 1;
  expect(spans.length === wantSpans, `${spans.length} mima.ai_call span(s), expected ${wantSpans}`);
  expect(records.length === wantLines, `${records.length} JSONL line(s), expected ${wantLines}`);
  const fields = [
    ...records.map((line) => {
      const record = JSON.parse(line) as Record<string, unknown>;
      return { site: record.call_site, mode: record.mode, blocked: record.blocked, file: record.code_file };
    }),
    ...spans.map(({ attributes: a }) => ({
      site: a['mima.call_site'],
      mode: a['mima.mode'],
      blocked: a['mima.blocked'],
      file: a['code.file.path'],
    })),
  ];
  for (const { site, mode, blocked, file } of fields) {
    expect(site === 'openai.OpenAI.chat', `the record names call site ${String(site)}`);
    expect(mode === run.mode, `the record says mode ${String(mode)}`);
    expect(blocked === (run.mode === 'block'), `the record says blocked ${String(blocked)}`);
    // The user's line that made the call, not a frame of openai or of the guard itself.
    expect(path.basename(String(file)) === 'app.js', `the record points at ${String(file)}, not app.js`);
  }
  const everything = [app.stdout, app.stderr, ...records, JSON.stringify(result)].join('\n');
  expect(!everything.includes(PROMPT), 'the prompt text appeared in the output or a record');
  return problems;
}

/** Runs build/demo/app.js in its own node process; its result comes back over the IPC channel. */
function runApp(env: NodeJS.ProcessEnv): Promise<AppRun> {
  return new Promise((resolve, reject) => {
    // --no-warnings: the app prints the warnings it receives itself, once.
    const child = spawn(process.execPath, ['--no-warnings', APP], {
      env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const run: AppRun = { code: null, signal: null, stdout: '', stderr: '' };
    child.stdout?.setEncoding('utf8').on('data', (text: string) => (run.stdout += text));
    child.stderr?.setEncoding('utf8').on('data', (text: string) => (run.stderr += text));
    child.on('message', (message) => (run.result = message as AppResult));
    const timer = setTimeout(() => child.kill(), APP_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ ...run, code, signal });
    });
  });
}

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '');
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`Demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  },
);
