/**
 * One soak process: `workers` concurrent loops making real openai calls to the loopback server
 * until `seconds` have passed, each call attested or not at random (half each). The guard
 * reports to the daemon at `socket` while it is up and to the JSONL file after.
 * argv: socket logFile baseURL seconds workers. Prints one JSON line of counts and RSS when done,
 * then exits on its own (the guard's exit hook writes what it still holds).
 */
import { attest, enableGuard } from '../../src';

async function main(): Promise<void> {
  const [socketPath, logFile, baseURL, secondsArg, workersArg] = process.argv.slice(2);
  const seconds = Number(secondsArg);
  enableGuard({ mode: 'warn', socketPath, logFile, maxBytes: 512 * 1024 * 1024, backups: 1 });
  // One warning per call site and location is still one too many lines for a soak's output.
  process.removeAllListeners('warning');
  // Loaded after enableGuard(), so the guard's hooks patch it (compiled to require()).
  const { OpenAI } = await import('openai');
  const client = new OpenAI({ apiKey: 'soak-key', baseURL, maxRetries: 0, timeout: 10_000 });
  const counts = { calls: 0, attested: 0, unattested: 0, failed: 0 };
  const rss = { atStart: process.memoryUsage().rss, afterWarmUp: 0, atEnd: 0 };
  const started = Date.now();
  const warmUpMs = Math.min(5_000, (seconds * 1000) / 10);
  const end = started + seconds * 1000;
  const call = () =>
    client.chat.completions.create({ model: 'gpt-soak', messages: [{ role: 'user', content: 'soak' }] });

  const loop = async () => {
    while (Date.now() < end) {
      if (!rss.afterWarmUp && Date.now() - started >= warmUpMs) rss.afterWarmUp = process.memoryUsage().rss;
      const attested = Math.random() < 0.5;
      try {
        // An unattested call is reported before its request is sent: it counts even if the request fails.
        if (attested) await attest(call)();
        else await call();
      } catch {
        counts.failed++;
      }
      counts.calls++;
      if (attested) counts.attested++;
      else counts.unattested++;
    }
  };
  await Promise.all(Array.from({ length: Number(workersArg) }, loop));
  rss.atEnd = process.memoryUsage().rss;
  console.log(JSON.stringify({ pid: process.pid, ...counts, rss }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
