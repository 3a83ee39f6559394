/**
 * The load generator of the service row: autocannon, in its own process (the client side of the
 * load never shares an event loop with a server it measures), against the variants' servers, all
 * running at once. Arguments: `name=url`, one per variant. Every server first gets a warm-up of
 * BENCH_SERVICE_WARMUP_REQUESTS requests (a count, not a time: V8 needs a few thousand calls to
 * reach its optimised code, however slow a shared machine is) that is not counted; then the servers take turns in short slices, every round in a
 * new order, so that a busy moment of a shared machine lands on all variants alike. In a slice,
 * BENCH_SERVICE_CONNECTIONS keep-alive connections with one request in flight each keep the server
 * busy all the time, so its requests/s is what it can do. After a slice, the load waits until that
 * server has finished the calls cut off at the slice's end, and a short pause more.
 *
 * Samples: per variant, completed requests/s of each slice, in round order, and (`<name>:cpu`) the
 * server's CPU time per answered request over the slice and its tail, µs: what a request costs the
 * server, which other processes' load on a shared machine moves far less than requests/s. Facts, per variant:
 * latency percentiles over all its counted requests (ms), and requests that failed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { envNumber, report, runMain } from '../child';
import { median } from '../stats';

/** The part of autocannon's programmatic API and result used here (it ships no types). */
interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  requests: { total: number };
}
interface Tracker extends Promise<AutocannonResult> {
  on(event: 'response', listener: (client: unknown, status: number, bytes: number, ms: number) => void): void;
}
type Autocannon = (options: {
  url: string;
  connections: number;
  /** Seconds of load, or, when `amount` is given, requests. */
  duration?: number;
  amount?: number;
}) => Tracker;

/** After the last call of a slice: the guard's JSONL batch is written within 50 ms of its first line. */
const PAUSE_MS = 100;

/** The server's counters (scenarios/service-server.ts). */
interface ServerStats {
  cpuMicros: number;
  answered: number;
  inFlight: number;
}

async function serverStats(url: string): Promise<ServerStats> {
  const response = await fetch(new URL('/bench-stats', url));
  return (await response.json()) as ServerStats;
}

/** Once the calls cut off at the end of a slice are done, and the pause after them. */
async function settled(url: string): Promise<ServerStats> {
  while ((await serverStats(url)).inFlight > 0) await sleep(10);
  await sleep(PAUSE_MS);
  return serverStats(url);
}

/** A new order every round, so no variant always follows the same other one. */
function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN;
}

runMain(async () => {
  const targets = process.argv.slice(2).map((arg) => {
    const at = arg.indexOf('=');
    return { name: arg.slice(0, at), url: arg.slice(at + 1) };
  });
  if (targets.length === 0 || targets.some((t) => !t.name || !t.url)) {
    throw new Error('usage: service-load name=url ...');
  }
  const connections = envNumber('BENCH_SERVICE_CONNECTIONS', 16);
  const slices = envNumber('BENCH_SERVICE_SLICES', 6);
  const sliceSeconds = envNumber('BENCH_SERVICE_SLICE_SECONDS', 1.5);
  const warmupRequests = envNumber('BENCH_SERVICE_WARMUP_REQUESTS', 3000);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const autocannon = require('autocannon') as Autocannon;

  const requestsPerSecond: Record<string, number[]> = {};
  const cpuPerRequest: Record<string, number[]> = {};
  const latencies: Record<string, number[]> = {};
  const failed: Record<string, number> = {};
  for (const { name } of targets) {
    requestsPerSecond[name] = [];
    cpuPerRequest[name] = [];
    latencies[name] = [];
    failed[name] = 0;
  }

  const warmUp = async (url: string): Promise<void> => {
    await autocannon({ url, connections, amount: warmupRequests });
    await settled(url);
  };
  const slice = async (name: string, url: string): Promise<void> => {
    const before = await serverStats(url);
    const tracker = autocannon({ url, connections, duration: sliceSeconds });
    tracker.on('response', (_client, _status, _bytes, ms) => latencies[name].push(ms));
    const result = await tracker;
    const after = await settled(url);
    requestsPerSecond[name].push(result.requests.total / result.duration);
    cpuPerRequest[name].push((after.cpuMicros - before.cpuMicros) / (after.answered - before.answered));
    failed[name] += result.errors + result.timeouts + result.non2xx;
  };

  for (const { url } of targets) await warmUp(url);
  for (let round = 0; round < slices; round++) {
    for (const { name, url } of shuffled(targets)) await slice(name, url);
  }

  const facts: Record<string, number> = {};
  for (const { name } of targets) {
    const sorted = latencies[name].sort((a, b) => a - b);
    facts[`p50Ms:${name}`] = median(sorted);
    facts[`p99Ms:${name}`] = percentile(sorted, 99);
    facts[`failed:${name}`] = failed[name];
  }
  const samples: Record<string, number[]> = {};
  for (const { name } of targets) {
    samples[name] = requestsPerSecond[name];
    samples[`${name}:cpu`] = cpuPerRequest[name];
  }
  report({ samples, facts });
});
