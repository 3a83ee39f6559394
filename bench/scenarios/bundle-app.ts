/**
 * Not run as it is: bench/cases/bundle.ts bundles this file with esbuild (openai, three more SDKs
 * for the bulk a bundled app has, and the guard: one 2 MB file, a 5 MB source map) and runs the
 * bundle with and without --enable-source-maps. It makes one attested call (openai's own first-call
 * costs), then unattested calls in report mode, each timed from the call to the end of its promise
 * jobs (where the guard builds the record), and the event loop's longest stall meanwhile.
 * Samples in ms: `first` (the first unattested call), `steady` (median of the later ones),
 * `stall` (the longest event-loop delay from the first call until every record is written).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import * as anthropic from '@anthropic-ai/sdk';
import * as genai from '@google/genai';
import * as groq from 'groq-sdk';
import * as openai from 'openai';
import { disableGuard, enableGuard, withAttested } from '../../src';
import { envNumber, envString, report, runMain } from '../child';

const bulk = [anthropic, genai, groq];

runMain(async () => {
  const logFile = path.join(envString('BENCH_TMP_DIR'), `bundle-${process.pid}.jsonl`);
  enableGuard({ mode: 'report', modules: { openai }, logFile, maxBytes: 2 ** 40 });
  const client = new openai.OpenAI({
    apiKey: 'bench',
    baseURL: `http://127.0.0.1:${envString('BENCH_PORT')}/v1`,
    maxRetries: 0,
  });
  const request = () => client.chat.completions.create({ model: 'gpt-bench', messages: [] });
  await withAttested(request);

  const calls = envNumber('BENCH_BUNDLE_CALLS', 200);
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const start = performance.now();
    const pending = request(); // unattested
    await null; // the guard's record job was queued during the call: it has run now
    times.push(performance.now() - start);
    await pending;
    // After the first call, wait for the record to be written (its source map decoded).
    if (i === 0) await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  await disableGuard();
  delay.disable();
  const records = fs
    .readFileSync(logFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { code_file: string | null; code_line: number | null });
  const later = times.slice(1).sort((a, b) => a - b);
  report({
    samples: { first: [times[0]], steady: [later[later.length >> 1]], stall: [delay.max / 1e6] },
    facts: {
      calls,
      records: records.length,
      location: [...new Set(records.map((r) => `${r.code_file}:${r.code_line}`))].join(' '),
      sdks: bulk.length,
    },
  });
});
