import * as assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { ROOT } from './helpers/guard';
import { chatCompletion } from './helpers/openai';
import { tempDir as makeTempDir } from './helpers/temp-dir';

const SCAN_APP = path.join(ROOT, 'test', 'fixtures', 'report-scan');

const CLI = path.join(ROOT, 'build', 'src', 'command', 'cli.js');
const CHROMIUM = process.env.MIMA_CHROMIUM ?? '/usr/bin/chromium';
/** CI installs Debian's chromium and sets this: there, a missing browser fails instead of skipping. */
const REQUIRED = process.env.MIMA_REQUIRE_BROWSER === '1';

function record(ts: string, callSite: string, file: string, line: number, blocked = false) {
  return {
    ts,
    call_site: callSite,
    attested: false,
    mode: blocked ? 'block' : 'report',
    blocked,
    code_file: file,
    code_line: line,
    workspace_id: null,
    pid: 1,
    id: `${ts}-${callSite}-${line}`,
  };
}

/** Three days with calls and one empty day between them, a coverage line, a dropped marker. */
function writeLog(file: string): void {
  const lines = [
    record('2026-11-20T09:00:00.000Z', 'openai.OpenAI.chat', 'src/a.js', 10),
    record('2026-11-20T10:00:00.000Z', 'openai.OpenAI.chat', 'src/a.js', 10),
    record('2026-11-20T11:00:00.000Z', 'anthropic.Anthropic.messages', 'src/b.js', 7, true),
    record('2026-11-22T09:00:00.000Z', 'openai.OpenAI.chat', 'src/a.js', 10),
    record('2026-11-23T09:00:00.000Z', 'ai.generateText', 'src/<c>.js', 3),
    { type: 'dropped', count: 2, ts: '2026-11-23T10:00:00.000Z' },
    {
      type: 'coverage',
      ts: '2026-11-23T12:00:00.000Z',
      since: '2026-11-20T00:00:00.000Z',
      pid: 1,
      calls: [
        { call_site: 'openai.OpenAI.chat', attested: 9, unattested: 3 },
        { call_site: 'ai.generateText', attested: 0, unattested: 1 },
      ],
    },
  ];
  fs.writeFileSync(file, lines.map((line) => JSON.stringify(line)).join('\n') + '\n');
}

/** Debian's chromium, headless, without its calls home; skips the suite when absent (outside CI). */
async function launchBrowser(suite: Mocha.Context): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    if (REQUIRED) throw new Error(`MIMA_REQUIRE_BROWSER=1 but there is no browser at ${CHROMIUM}`);
    suite.skip();
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

describe('mima-guard report --html, checked in headless chromium', function () {
  this.timeout(60_000);
  let browser: Browser | undefined;

  before(async function () {
    browser = await launchBrowser(this);
  });
  after(async () => browser?.close());

  it('renders the calls per site, per day and the coverage the log holds, with no console error and no request', async () => {
    const dir = makeTempDir('mima-html-');
    const log = path.join(dir, 'guard_log.jsonl');
    const out = path.join(dir, 'report.html');
    writeLog(log);
    const printed = execFileSync(process.execPath, [CLI, 'report', '--file', log, '--html', out], {
      encoding: 'utf8',
    });
    assert.match(printed, /wrote .*report\.html: 5 unattested calls in 3 places/);
    assert.equal(fs.statSync(out).mode & 0o777, 0o600);

    const page = await browser!.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('request', (request) => {
      if (!request.url().startsWith('file:')) requests.push(request.url());
    });
    await page.goto(pathToFileURL(out).href);
    await page.screenshot({ path: path.join(dir, 'report.png'), fullPage: true });

    assert.equal(await page.title(), 'Mima guard report');
    assert.equal(await page.textContent('#unattested-calls b'), '5');
    assert.equal(await page.textContent('#places b'), '3');
    assert.equal(await page.textContent('#dropped b'), '2');
    assert.equal(await page.textContent('#attested-share b'), '69.2 %', '9 of 13 calls attested');

    const bars = await page.$$eval('#per-day-chart rect.bar', (rects) =>
      rects.map(
        (r) =>
          `${r.getAttribute('data-day')}=${r.getAttribute('data-count')}:${r.getBoundingClientRect().height > 0}`,
      ),
    );
    assert.deepEqual(bars, [
      '2026-11-20=3:true',
      '2026-11-21=0:false',
      '2026-11-22=1:true',
      '2026-11-23=1:true',
    ]);

    const groups = await page.$$eval('#groups tbody tr', (rows) =>
      rows.map((row) => [...row.querySelectorAll('td')].slice(0, 4).map((td) => td.textContent)),
    );
    assert.deepEqual(groups, [
      ['openai.OpenAI.chat', 'src/a.js:10', '3', '0'],
      ['ai.generateText', 'src/<c>.js:3', '1', '0'],
      ['anthropic.Anthropic.messages', 'src/b.js:7', '1', '1'],
    ]);
    const coverage = await page.$$eval('#coverage tbody tr', (rows) =>
      rows.map((row) => [...row.querySelectorAll('td')].map((td) => td.textContent)),
    );
    assert.deepEqual(coverage, [
      ['ai.generateText', '0', '1', '0.0 %'],
      ['openai.OpenAI.chat', '9', '3', '75.0 %'],
    ]);
    assert.deepEqual(problems, [], 'no console error or warning');
    assert.deepEqual(requests, [], 'nothing fetched at view time');
    await page.close();
  });
});

/** Serves chat completions on loopback, for the fixture app's real openai client. */
async function chatServer(): Promise<{ url: string; close(): void }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(chatCompletion()));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v1`, close: () => server.close() };
}

describe('mima-guard report --html --scan, checked in headless chromium', function () {
  this.timeout(120_000);
  let browser: Browser | undefined;

  before(async function () {
    browser = await launchBrowser(this);
  });
  after(async () => browser?.close());

  it('puts each call site the scan finds beside what the logs saw there: seen unattested, never seen, attested', async () => {
    const dir = makeTempDir('mima-html-scan-');
    const log = path.join(dir, 'guard_log.jsonl');
    const out = path.join(dir, 'report.html');
    const server = await chatServer();
    try {
      await promisify(execFile)(process.execPath, ['src/app.js', log, path.join(dir, 'd.sock'), server.url], {
        cwd: SCAN_APP,
        timeout: 30_000,
      });
    } finally {
      server.close();
    }
    execFileSync(process.execPath, [CLI, 'report', '--file', log, '--html', out, '--scan', 'src'], {
      cwd: SCAN_APP,
      encoding: 'utf8',
    });
    const page = await browser!.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    await page.goto(pathToFileURL(out).href);
    await page.screenshot({ path: path.join(dir, 'report.png'), fullPage: true });
    const rows = await page.$$eval('#scan tbody tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')),
    );
    const byLine = rows.map(([location, callSite, verdict, , runtime]) => [
      location.replace(/:\d+$/, ''),
      callSite,
      verdict,
      runtime.replace(/ \(last .*\)$/, ''),
    ]);
    assert.deepEqual(byLine, [
      ['src/app.js:11', 'openai.OpenAI.chat', 'unattested', 'seen unattested at run time: 2'],
      ['src/app.js:15', 'openai.OpenAI.embeddings', 'unattested', 'never seen unattested at run time'],
      ['src/app.js:18', 'openai.OpenAI.chat', 'attested', 'attested'],
    ]);
    assert.match(
      (await page.textContent('#scan-summary')) ?? '',
      /3 call sites in the code: 2 unattested, 0 unknown, 1 attested/,
    );
    assert.deepEqual(problems, []);
    await page.close();
  });
});

describe('mima-guard report --html, without a browser', () => {
  it('refuses --json together with --html (exit 2), naming both', () => {
    const dir = makeTempDir('mima-html-');
    const result = (() => {
      try {
        execFileSync(
          process.execPath,
          [CLI, 'report', '--file', path.join(dir, 'x'), '--json', '--html', 'o.html'],
          {
            encoding: 'utf8',
            stdio: 'pipe',
          },
        );
        return { status: 0, stderr: '' };
      } catch (error) {
        return error as { status: number; stderr: string };
      }
    })();
    assert.equal(result.status, 2);
    assert.match(result.stderr, /choose one of --json and --html/);
  });
});
