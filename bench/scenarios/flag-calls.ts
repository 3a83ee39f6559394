/**
 * Calls the stand-in chokepoint N times inside attest(), for bench/instructions.ts to count under
 * callgrind. Arguments: the setup ('otel' or 'none'), the variant ('patched' or 'original'), N.
 * A fixed warm-up comes first, so that the difference between two runs of N and 2N calls is the
 * instructions of N calls of optimised code.
 */
import { enableGuard, withAttested } from '../../src';
import { applySetup, parseSetup } from '../setup';
import { originalLoop, PatchedStandInClient, patchedLoop, StandInClient } from '../stand-in';

const WARMUP_CALLS = 200_000;

const setup = parseSetup(process.argv[2]);
const variant = process.argv[3];
const calls = Number(process.argv[4]);
if (variant !== 'patched' && variant !== 'original') throw new Error(`unknown variant ${variant}`);
if (!Number.isInteger(calls) || calls <= 0) throw new Error(`bad call count ${process.argv[4]}`);
applySetup(setup);
// Attested calls write nothing; the files are named anyway so that no default path is touched.
enableGuard({ mode: 'report', logFile: '/dev/null', socketPath: '/nonexistent/mima-bench.sock' });
const run =
  variant === 'patched'
    ? (n: number) => patchedLoop(new PatchedStandInClient(), n)
    : (n: number) => originalLoop(new StandInClient(), n);
withAttested(() => {
  run(WARMUP_CALLS);
  run(calls);
});
