/**
 * One JSONL writer process: a JsonlFileSink (default queue bound) writing `count` records as fast
 * as it takes them, with rotation. Arguments: file, writer name, count, maxBytes, backups, startAt
 * (epoch ms: processes started together wait for it). A chunk of records is queued while the
 * previous chunk's write is in flight (flush() of chunk k overlaps queuing chunk k+1), so the queue
 * never holds more than two chunks and never reaches the sink's bound.
 */
import { JsonlFileSink } from '../../src/app/sinks/jsonl-sink';
import { report, runMain } from '../child';
import { makeRecord } from '../records';

const CHUNK = 2_000;

const epochMs = () => performance.timeOrigin + performance.now();

runMain(async () => {
  const [file, writer, countArg, maxBytesArg, backupsArg, startAtArg] = process.argv.slice(2);
  const count = Number(countArg);
  const sink = new JsonlFileSink(file, { maxBytes: Number(maxBytesArg), backups: Number(backupsArg) });
  const startAt = Number(startAtArg);
  while (epochMs() < startAt) await new Promise((resolve) => setTimeout(resolve, 1));

  // The sinks never keep a process alive (unref'd timers and socket); an app has its own work that does.
  const keepAlive = setInterval(() => undefined, 1000);
  const start = epochMs();
  let previous: Promise<boolean> = Promise.resolve(true);
  let ok = true;
  for (let i = 0; i < count;) {
    const end = Math.min(count, i + CHUNK);
    // The writer is measured, not the clock: one timestamp per chunk.
    const ts = new Date().toISOString();
    for (; i < end; i++) sink.write(makeRecord(writer, i, ts));
    ok = (await previous) && ok;
    previous = sink.flush();
  }
  ok = (await previous) && ok;
  const finish = epochMs();
  clearInterval(keepAlive);
  await sink.close();
  report({ samples: {}, facts: { start, finish, count, flushedOk: ok } });
});
