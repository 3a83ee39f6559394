/** Command line of build/bench/run.js, and how much each case does in full and quick runs. */

export interface Sizes {
  /** In-process rows: child processes per setup, tinybench rounds in each, ms per task and round. */
  microProcesses: number;
  microRounds: number;
  microTimeMs: number;
  microWarmupMs: number;
  /** Loopback rows: child processes per setup; rounds of `loopbackBatch` calls per variant in each. */
  loopbackProcesses: number;
  loopbackRounds: number;
  loopbackWarmupRounds: number;
  loopbackBatch: number;
  /** JSONL writer: records for one process; records per process for four at once; repetitions. */
  jsonlRecords: number;
  jsonlRecordsEach: number;
  jsonlRepeats: number;
  jsonlMaxBytes: number;
  /** Daemon: records per client (four clients); repetitions. */
  daemonRecordsEach: number;
  daemonRepeats: number;
  /** Memory: attested calls; records queued behind an unwritable file. */
  memoryCalls: number;
  memoryQueued: number;
  /** Start-up: child processes per variant. */
  startupRuns: number;
  /** Static scan: files in the generated project; scan processes. */
  scanFiles: number;
  scanRuns: number;
  /** Bundle: processes per variant (with and without source maps); unattested calls in each. */
  bundleProcesses: number;
  bundleCalls: number;
  /** Service row: rounds (fresh server processes), warm-up requests per server, load slices per variant and their seconds, connections. */
  service: {
    rounds: number;
    slices: number;
    sliceSeconds: number;
    warmupRequests: number;
    connections: number;
  };
}

const FULL: Sizes = {
  microProcesses: 3,
  microRounds: 8,
  microTimeMs: 100,
  microWarmupMs: 50,
  loopbackProcesses: 8,
  loopbackRounds: 60,
  loopbackWarmupRounds: 4,
  loopbackBatch: 10,
  jsonlRecords: 1_000_000,
  jsonlRecordsEach: 250_000,
  jsonlRepeats: 3,
  jsonlMaxBytes: 8 * 1024 * 1024,
  daemonRecordsEach: 250_000,
  daemonRepeats: 3,
  memoryCalls: 1_000_000,
  memoryQueued: 100_000,
  startupRuns: 20,
  scanFiles: 1000,
  scanRuns: 3,
  bundleProcesses: 5,
  bundleCalls: 200,
  service: { rounds: 2, slices: 6, sliceSeconds: 1, warmupRequests: 2000, connections: 16 },
};

/** Every case, briefly: it proves the cases run and lose nothing, not how fast they are. */
const QUICK: Sizes = {
  microProcesses: 1,
  microRounds: 2,
  microTimeMs: 20,
  microWarmupMs: 10,
  loopbackProcesses: 1,
  loopbackRounds: 4,
  loopbackWarmupRounds: 1,
  loopbackBatch: 5,
  jsonlRecords: 50_000,
  jsonlRecordsEach: 20_000,
  jsonlRepeats: 1,
  jsonlMaxBytes: 1024 * 1024,
  daemonRecordsEach: 20_000,
  daemonRepeats: 1,
  memoryCalls: 100_000,
  memoryQueued: 20_000,
  startupRuns: 3,
  scanFiles: 200,
  scanRuns: 1,
  bundleProcesses: 1,
  bundleCalls: 20,
  service: { rounds: 1, slices: 1, sliceSeconds: 0.5, warmupRequests: 100, connections: 16 },
};

export const CASE_NAMES = [
  'micro',
  'loopback',
  'no-attest',
  'jsonl',
  'daemon',
  'memory',
  'startup',
  'scan',
  'bundle',
  'service',
] as const;
export type CaseName = (typeof CASE_NAMES)[number];

export interface Options {
  quick: boolean;
  /** Cases to run; all when none is named. */
  only: CaseName[];
  sizes: Sizes;
}

const USAGE = `Usage: node build/bench/run.js [--quick] [case ...]
  --quick   every case briefly; results go to a temp file, bench/results.json is left alone
  case      any of: ${CASE_NAMES.join(' ')} (default: all)`;

export function parseOptions(argv: readonly string[]): Options {
  let quick = false;
  const only: CaseName[] = [];
  for (const arg of argv) {
    if (arg === '--quick') quick = true;
    else if ((CASE_NAMES as readonly string[]).includes(arg)) only.push(arg as CaseName);
    else {
      if (arg !== '--help' && arg !== '-h') console.error(`unknown argument ${arg}`);
      console.error(USAGE);
      process.exit(arg === '--help' || arg === '-h' ? 0 : 2);
    }
  }
  return { quick, only, sizes: quick ? QUICK : FULL };
}
