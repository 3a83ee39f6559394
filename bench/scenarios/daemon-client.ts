/**
 * One guard process sending records to the daemon through the guard's own DaemonSink. Arguments:
 * socket path, writer name, count, startAt (epoch ms). The sink's fallback only counts: a record
 * handed to it was not acknowledged by the daemon. When the sink declines a record (its bound of
 * records awaiting an ack is reached), the client waits for the acks (flush) and offers it again.
 */
import { DaemonSink } from '../../src/app/sinks/daemon-sink';
import type { RecordSink } from '../../src/app/sinks/sink';
import { report, runMain } from '../child';
import { makeRecord } from '../records';

const CHUNK = 2_000;
const epochMs = () => performance.timeOrigin + performance.now();

runMain(async () => {
  const [socketPath, writer, countArg, startAtArg] = process.argv.slice(2);
  const count = Number(countArg);
  let handedOver = 0;
  const fallback: RecordSink = {
    name: 'count',
    write: () => {
      handedOver++;
      return true;
    },
    flush: async () => undefined,
    close: async () => undefined,
  };
  const sink = new DaemonSink(socketPath, fallback);
  const deadline = Date.now() + 10_000;
  while (!sink.connected) {
    if (Date.now() > deadline) throw new Error('the daemon sink did not connect');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  while (epochMs() < Number(startAtArg)) await new Promise((resolve) => setTimeout(resolve, 1));

  // The sinks never keep a process alive (unref'd timers and socket); an app has its own work that does.
  const keepAlive = setInterval(() => undefined, 1000);
  const start = epochMs();
  let declined = 0;
  for (let i = 0; i < count;) {
    const end = Math.min(count, i + CHUNK);
    const ts = new Date().toISOString();
    for (; i < end; i++) {
      const record = makeRecord(writer, i, ts);
      while (!sink.write(record)) {
        if (!sink.connected) throw new Error('lost the connection to the daemon');
        declined++;
        await sink.flush();
      }
    }
    // Lets the batch go out and the acks come in while the next chunk is queued.
    await new Promise((resolve) => setImmediate(resolve));
  }
  await sink.flush();
  const finish = epochMs();
  clearInterval(keepAlive);
  await sink.close();
  report({ samples: {}, facts: { start, finish, count, handedOver, declined } });
});
