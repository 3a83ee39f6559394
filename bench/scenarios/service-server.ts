/**
 * One variant of the service row (bench/cases/service.ts), in a fresh process: an HTTP server
 * (node:http) on 127.0.0.1 whose every request makes one openai chat completion to the loopback
 * mock (BENCH_PORT, by the name localhost, which the guard's variants list as an AI host) and
 * answers with its content; one path, STATS_PATH, answers the load process
 * with the server's counters instead. Argument: the variant. Prints {"port":N} once listening; the
 * load comes from another process (scenarios/service-load.ts). When its stdin ends it stops, waits
 * for the calls still in flight, flushes the guard, and prints its counts: calls made, and records
 * in its JSONL file.
 *
 * Every variant registers the tracer provider of a traced service (setup.ts, 'otel'), which the
 * peer needs to record its spans, and with which the guard's unattested call records its
 * `mima.ai_call` span too. The guard's variants run it as a team adopting it does: enableGuard()
 * with its defaults and mode 'warn' (durable reporting, network backstop, rotation, one warning
 * per call site and location), only its JSONL file and daemon socket in the run's temp dir.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { attest, disableGuard, enableGuard, getGuardStatus } from '../../src';
import { isGuardWrapper } from '../../src/app/patch';
import { envNumber, envString, report, runMain } from '../child';
import { chat, makeClient } from '../loopback';
import { countRecords, logFiles } from '../records';
import { applySetup, loadOpenAI, registerPeer, type OpenAIModule } from '../setup';

/** What each variant runs is here; bench/cases/service.ts names the ones the row compares. */
const SERVICE_VARIANTS = ['bare', 'bare-again', 'guard-warn', 'guard-attested', 'peer'] as const;
type ServiceVariant = (typeof SERVICE_VARIANTS)[number];

/** Answered without an openai call: CPU time used and requests answered so far, calls in flight. */
const STATS_PATH = '/bench-stats';

/** Rotation keeps this many backups by default; the count looks in each. */
const DEFAULT_BACKUPS = 3;

function parseVariant(arg: string | undefined): ServiceVariant {
  if (!(SERVICE_VARIANTS as readonly (string | undefined)[]).includes(arg)) {
    throw new Error(`unknown variant ${arg}; expected one of ${SERVICE_VARIANTS.join(', ')}`);
  }
  return arg as ServiceVariant;
}

/** Enables what the variant runs, then loads openai (after, as an app does, so the hooks see it). */
async function prepare(variant: ServiceVariant, logFile: string): Promise<OpenAIModule> {
  applySetup('otel');
  if (variant === 'guard-warn' || variant === 'guard-attested') {
    enableGuard({
      mode: 'warn',
      logFile,
      socketPath: path.join(envString('BENCH_TMP_DIR'), 'no-daemon.sock'),
      // The mock stands for api.openai.com, which the network backstop lists: its requests go
      // through the backstop's whole check (a call's own transport, or a request of its own?).
      networkHosts: [`localhost:${envNumber('BENCH_PORT', 0)}`],
    });
    return loadOpenAI();
  }
  if (variant === 'peer') registerPeer();
  const openai = await import('openai');
  const methodRequest = (openai.OpenAI.prototype as unknown as Record<string, unknown>).methodRequest;
  if (isGuardWrapper(methodRequest)) throw new Error(`${variant}: the guard patched openai`);
  const create = openai.OpenAI.Chat.Completions.prototype.create as unknown as { __wrapped?: boolean };
  if (Boolean(create.__wrapped) !== (variant === 'peer')) {
    throw new Error(`${variant}: the peer's patch is ${create.__wrapped ? 'present' : 'missing'}`);
  }
  return openai;
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

runMain(async () => {
  const variant = parseVariant(process.argv[2]);
  const logFile = path.join(envString('BENCH_TMP_DIR'), `service-${variant}-${process.pid}.jsonl`);
  const { OpenAI } = await prepare(variant, logFile);
  const client = makeClient(OpenAI, envNumber('BENCH_PORT', 0), 'localhost');

  let calls = 0;
  let answered = 0;
  let failed = 0;
  const inFlight = new Set<Promise<void>>();
  const answer = async (res: http.ServerResponse): Promise<void> => {
    calls++;
    const content = await chat(client);
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(content);
    answered++;
  };
  // All-attested: the route handler is the attested function, as a team attests a use of AI.
  const handle = variant === 'guard-attested' ? attest(answer) : answer;
  const server = http.createServer((req, res) => {
    req.resume();
    if (req.url === STATS_PATH) {
      // For the load process, between slices: this process's CPU time per answered request.
      const { user, system } = process.cpuUsage();
      res.end(JSON.stringify({ cpuMicros: user + system, answered, inFlight: inFlight.size }));
      return;
    }
    const done = handle(res)
      .catch(() => {
        failed++;
        if (!res.headersSent) res.writeHead(500);
        res.end();
      })
      .finally(() => inFlight.delete(done));
    inFlight.add(done);
  });
  const port = await listen(server);
  process.stdout.write(`${JSON.stringify({ port })}\n`);

  process.stdin.resume();
  await new Promise((resolve) => process.stdin.once('end', resolve));
  server.close();
  server.closeAllConnections();
  // Calls the load generator cut off at the end of a slice still reach the mock before the end.
  while (inFlight.size) await Promise.allSettled([...inFlight]);

  const guarded = variant === 'guard-warn' || variant === 'guard-attested';
  const mode = guarded ? getGuardStatus().mode : '-';
  if (guarded) await disableGuard(); // flushes the JSONL file
  const count = countRecords(logFiles(logFile, DEFAULT_BACKUPS));
  report({
    samples: {},
    facts: {
      mode,
      calls,
      failed,
      unattestedCalls: variant === 'guard-warn' ? calls : 0,
      records: count.ids.size,
      otherLines: count.other,
    },
  });
  // The openai client's keep-alive sockets to the mock would keep the process alive.
  process.exit(0);
});
