/**
 * The daemon for the daemon case, in its own process: startDaemon() from src/daemon/server.ts, the
 * same server `mima-guard daemon` runs, with a log size that never rotates records out (every id
 * is counted in the log afterwards). Arguments: socket path, log file. Prints {"ready":1} once
 * listening; when stdin ends it drains, closes and prints its stats.
 */
import { startDaemon } from '../../src/command/daemon/server';
import { runMain } from '../child';

runMain(async () => {
  const [socketPath, logFile] = process.argv.slice(2);
  const daemon = await startDaemon({ socketPath, logFile, maxBytes: 2 ** 40, backups: 1 });
  process.stdout.write(`${JSON.stringify({ ready: 1 })}\n`);
  process.stdin.resume();
  await new Promise((resolve) => process.stdin.once('end', resolve));
  const stats = daemon.stats();
  await daemon.close();
  process.stdout.write(`${JSON.stringify({ samples: {}, facts: { ...stats } })}\n`);
});
