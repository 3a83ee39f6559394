import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import type * as Net from 'node:net';
import * as path from 'node:path';
import { MAX_LINE_BYTES } from '../src/app/daemon-wire/protocol';
import { startDaemon } from '../src/command/daemon/server';
import { DaemonSink } from '../src/app/sinks/daemon-sink';
import { JsonlFileSink } from '../src/app/sinks/jsonl-sink';
import { captureDiag } from './helpers/diag';
import { ROOT } from './helpers/guard';
import { rotatedLogLines } from './helpers/log-lines';
import { detection } from './fixtures/daemon-client/records';
import { tempDir as makeTempDir } from './helpers/temp-dir';

// The module objects themselves (not an import namespace), so that a test can wrap a function.
const net = require('node:net') as typeof Net;
const fsModule = require('node:fs') as typeof fs;

const EXIT_CLIENT = path.join(ROOT, 'build', 'test', 'fixtures', 'daemon-client', 'exit-client.js');

interface Paths {
  socket: string;
  log: string;
  fallback: string;
}

function tempPaths(): Paths {
  const dir = makeTempDir('mima-ds-');
  return {
    socket: path.join(dir, 'd.sock'),
    log: path.join(dir, 'daemon.jsonl'),
    fallback: path.join(dir, 'fallback.jsonl'),
  };
}

const ids = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}-${i}`);

/** How often each id appears in a JSONL file and its rotations (file.1, file.2, …). */
function idCounts(file: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of rotatedLogLines(file)) {
    const id = (JSON.parse(line) as { id?: string }).id;
    if (id !== undefined) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** Polls a condition every 10 ms until it holds; fails past the deadline. */
async function until(condition: () => boolean, what: string, deadlineMs = 5_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const nextImmediate = () => new Promise((resolve) => setImmediate(resolve));

/** Counts the calls of obj[key] (those whose first argument is `firstArg`, if given) until restored. */
function spy<T extends object>(obj: T, key: keyof T, firstArg?: unknown) {
  const target = obj as Record<keyof T, unknown>;
  const own = Object.hasOwn(obj, key);
  const original = target[key] as (...args: unknown[]) => unknown;
  let calls = 0;
  target[key] = function (this: unknown, ...args: unknown[]) {
    if (firstArg === undefined || args[0] === firstArg) calls++;
    return original.apply(this, args);
  };
  return {
    calls: () => calls,
    restore: () => {
      if (own) target[key] = original;
      else delete target[key];
    },
  };
}

interface FakeDaemon {
  server: Net.Server;
  /** Records messages received, in order. */
  messages: { seq: number; records: { id: string }[] }[];
  close(): Promise<void>;
}

/** A plain socket server that reads protocol lines and answers each with reply(seq), or not at all. */
async function fakeDaemon(socketPath: string, reply?: (seq: number) => object): Promise<FakeDaemon> {
  const messages: FakeDaemon['messages'] = [];
  const sockets = new Set<Net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let pending = '';
    socket.on('data', (chunk) => {
      const lines = (pending + chunk.toString('utf8')).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const message = JSON.parse(line) as FakeDaemon['messages'][number];
        messages.push(message);
        if (reply) socket.write(JSON.stringify(reply(message.seq)) + '\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    server,
    messages,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A socket file nobody listens on: what a daemon killed with SIGKILL leaves behind. */
function deadSocket(socketPath: string): void {
  const result = spawnSync(process.execPath, [
    '-e',
    `require('node:net').createServer().listen(${JSON.stringify(socketPath)}, () => process.kill(process.pid, 'SIGKILL'))`,
  ]);
  assert.equal(result.signal, 'SIGKILL');
  assert.ok(fs.lstatSync(socketPath).isSocket(), 'the dead server left its socket file');
}

function runExitClient(paths: Paths, mode: 'idle' | 'exit', count: number) {
  return new Promise<{ code: number | null; stdout: string; stderr: string; afterWritten: number }>(
    (resolve, reject) => {
      const child = spawn(process.execPath, [EXIT_CLIENT, paths.socket, paths.fallback, mode, String(count)]);
      let stdout = '';
      let stderr = '';
      let writtenAt = 0;
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (!writtenAt && stdout.includes('written')) writtenAt = Date.now();
      });
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      // A client kept alive by the sink would never exit: kill it and report it.
      const deadline = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.on('error', reject);
      child.on('exit', (code) => {
        clearTimeout(deadline);
        resolve({ code, stdout, stderr, afterWritten: writtenAt ? Date.now() - writtenAt : Infinity });
      });
    },
  );
}

describe('DaemonSink: the client of the local daemon', () => {
  const cleanups: (() => unknown)[] = [];
  const later = <T>(value: T, cleanup: (value: T) => unknown): T => {
    cleanups.push(() => cleanup(value));
    return value;
  };
  const sinkTo = (paths: Paths, options = {}) => {
    const fallback = later(new JsonlFileSink(paths.fallback), (sink) => sink.close());
    const sink = later(new DaemonSink(paths.socket, fallback, options), (sink) => sink.close());
    return { sink, fallback };
  };
  const daemonAt = (paths: Paths) =>
    startDaemon({ socketPath: paths.socket, logFile: paths.log }).then((handle) =>
      later(handle, (h) => h.close()),
    );

  afterEach(async () => {
    // Sinks before the daemons they talk to, each fallback after its daemon sink.
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('declines records, without throwing, when no socket file exists or nobody listens on it', async () => {
    const missing = tempPaths();
    const looks = spy(fsModule, 'lstat', missing.socket);
    try {
      const { sink } = sinkTo(missing);
      assert.equal(sink.write(detection('a')), false);
      // The first look for the socket file, and a retry.
      await until(() => looks.calls() >= 2, 'a second look for the socket file');
      assert.equal(sink.write(detection('b')), false, 'still declined after retrying');
      assert.equal(sink.connected, false);
    } finally {
      looks.restore();
    }

    const dead = tempPaths();
    deadSocket(dead.socket);
    const attempts = spy(net, 'createConnection', dead.socket);
    try {
      const messages = await captureDiag(async () => {
        const { sink: deadSink } = sinkTo(dead);
        // Two refused connections: one warning, not one per attempt or record.
        await until(() => attempts.calls() >= 2, 'two connection attempts');
        for (let i = 0; i < 50; i++) assert.equal(deadSink.write(detection(`d-${i}`)), false);
      });
      assert.equal(messages.length, 1, `one warning for the unreachable daemon: ${messages.join(' | ')}`);
      assert.match(messages[0], /unreachable/);
    } finally {
      attempts.restore();
    }
  });

  it('does no I/O in write(): it returns at once while connecting, and only queues once connected', async () => {
    const paths = tempPaths();
    const handle = await daemonAt(paths);
    const socketWrites = spy(net.Socket.prototype, 'write');
    const stats = spy(fsModule, 'lstat');
    const connects = spy(net, 'createConnection');
    const io = () => ({ writes: socketWrites.calls(), stats: stats.calls(), connects: connects.calls() });
    try {
      const { sink } = sinkTo(paths);
      // Connecting has started (a look at the socket file) and goes on in the background.
      const connecting = io();
      assert.equal(sink.write(detection('early')), false, 'declined before the connection is up');
      assert.deepEqual(io(), connecting, 'the declining write() did no I/O');
      await until(() => sink.connected, 'the sink is connected');
      const connected = io();
      for (let i = 0; i < 100; i++) assert.equal(sink.write(detection(`q-${i}`)), true);
      assert.deepEqual(io(), connected, 'write() touched neither the socket nor the file system');
      await nextImmediate();
      const sent = socketWrites.calls() - connected.writes;
      assert.ok(sent >= 1 && sent < 100, `the 100 records went out in a few socket writes (${sent})`);
      await sink.flush();
      assert.equal(handle.stats().accepted, sent);
    } finally {
      for (const s of [socketWrites, stats, connects]) s.restore();
    }
  });

  it('sends records in acknowledged batches: each lands once in the daemon log, none in the fallback, and flush() resolves once all are acked', async () => {
    const paths = tempPaths();
    const handle = await daemonAt(paths);
    const { sink, fallback } = sinkTo(paths);
    await until(() => sink.connected, 'the sink is connected');
    // ~1.2 KB a record: 300 of them need several protocol lines of at most 64 KiB.
    const sent = ids('batch', 300);
    for (const id of sent) assert.equal(sink.write(detection(id, `openai.${'x'.repeat(1000)}`)), true);
    await sink.flush();
    // No polling: flush() resolved, so the daemon has acked, and it acks only what it has written.
    const logged = idCounts(paths.log);
    assert.deepEqual([...logged.keys()].sort(), [...sent].sort());
    assert.ok(
      [...logged.values()].every((n) => n === 1),
      'no record logged twice',
    );
    const { accepted, rejected } = handle.stats();
    assert.ok(accepted >= 6 && accepted < 20, `batched: ${accepted} batches for 300 records`);
    assert.equal(rejected, 0);
    await fallback.flush();
    assert.equal(fs.existsSync(paths.fallback), false, 'nothing went to the fallback');
  });

  it('hands the unacknowledged batches to the fallback when the daemon closes: every id is in the log or the fallback', async () => {
    const paths = tempPaths();
    const handle = await daemonAt(paths);
    const { sink, fallback } = sinkTo(paths);
    await until(() => sink.connected, 'the sink is connected');
    const messages = await captureDiag(async () => {
      for (const id of ids('acked', 100)) sink.write(detection(id));
      await sink.flush();
      for (const id of ids('inflight', 200)) assert.equal(sink.write(detection(id)), true);
      // The sink's batch (queued first) is on the socket; the daemon has read none of it yet.
      await nextImmediate();
      await handle.close();
      await until(() => !sink.connected, 'the sink saw the connection close');
      assert.equal(sink.write(detection('after')), false, 'declined once the daemon is gone');
      await sink.flush();
      await fallback.flush();
    });
    const logged = idCounts(paths.log);
    const fellBack = idCounts(paths.fallback);
    for (const id of ids('acked', 100)) assert.equal(logged.get(id), 1, `${id} acked, so in the log`);
    const lost = [...ids('acked', 100), ...ids('inflight', 200)].filter(
      (id) => !logged.has(id) && !fellBack.has(id),
    );
    assert.deepEqual(lost, [], 'every record is in the daemon log or the fallback file');
    assert.ok(fellBack.size > 0, 'the unacknowledged records went to the fallback');
    assert.equal(messages.length, 1, `one warning: ${messages.join(' | ')}`);
    assert.match(messages[0], /lost the connection/);
  });

  it('drops the connection when batches are not acked within ackTimeoutMs: their records go to the fallback, with one warning however many batches and reconnections', async () => {
    const paths = tempPaths();
    const silent = later(await fakeDaemon(paths.socket), (fake) => fake.close());
    const { sink, fallback } = sinkTo(paths, { ackTimeoutMs: 200 });
    await until(() => sink.connected, 'the sink is connected');
    const sent = ids('silent', 30);
    let handedOverAfter = 0;
    const messages = await captureDiag(async () => {
      const started = Date.now();
      // Three bursts, three batches, three ack timers.
      for (let burst = 0; burst < 3; burst++) {
        for (const id of sent.slice(burst * 10, burst * 10 + 10)) {
          assert.equal(sink.write(detection(id)), true);
        }
        await nextImmediate();
      }
      await until(() => silent.messages.length === 3, 'the fake daemon read three batches');
      // Resolves once every batch is acked or handed over: here, handed over.
      await sink.flush();
      handedOverAfter = Date.now() - started;
      assert.equal(sink.connected, false, 'the connection was dropped');

      // The fake daemon still accepts connections: the sink reconnects, and times out again.
      await until(() => sink.connected, 'the sink reconnected');
      assert.equal(sink.write(detection('silent-again')), true);
      await sink.flush();
      await fallback.flush();
    });
    assert.ok(
      handedOverAfter >= 190,
      `handed over after the ack timeout, not before (${handedOverAfter} ms)`,
    );
    assert.deepEqual([...idCounts(paths.fallback).keys()].sort(), [...sent, 'silent-again'].sort());
    assert.equal(silent.messages.length, 4, 'the batch after the reconnection reached the fake daemon');
    assert.equal(
      messages.length,
      1,
      `one warning for four batches on two connections: ${messages.join(' | ')}`,
    );
    assert.match(messages[0], /did not acknowledge within 200 ms/);
  });

  it('sends the records of a batch the daemon rejects to the fallback, and stays connected', async () => {
    const paths = tempPaths();
    later(await fakeDaemon(paths.socket, (seq) => ({ v: 1, type: 'error', seq, reason: 'x' })), (fake) =>
      fake.close(),
    );
    const { sink, fallback } = sinkTo(paths);
    await until(() => sink.connected, 'the sink is connected');
    const messages = await captureDiag(async () => {
      for (const id of ids('rejected', 10)) sink.write(detection(id));
      await nextImmediate();
      for (const id of ids('rejected-again', 10)) sink.write(detection(id));
      await sink.flush();
      await fallback.flush();
    });
    assert.deepEqual(
      [...idCounts(paths.fallback).keys()].sort(),
      [...ids('rejected', 10), ...ids('rejected-again', 10)].sort(),
    );
    assert.equal(messages.length, 1, `one warning for two rejected batches: ${messages.join(' | ')}`);
    assert.match(messages[0], /rejected a batch \(x\)/);
    assert.equal(sink.connected, true);
  });

  it('reconnects with backoff when the daemon starts later or comes back: write() takes records again, with one warning when lost and one when back', async () => {
    const paths = tempPaths();
    const messages = await captureDiag(async () => {
      const { sink } = sinkTo(paths);
      assert.equal(sink.write(detection('none-yet')), false);
      const first = await startDaemon({ socketPath: paths.socket, logFile: paths.log });
      await until(() => sink.connected, 'the sink connects to a daemon started later');
      for (const id of ids('first', 10)) assert.equal(sink.write(detection(id)), true);
      await sink.flush();

      await first.close();
      await until(() => !sink.connected, 'the sink saw the daemon go');
      for (let i = 0; i < 20; i++) assert.equal(sink.write(detection(`gone-${i}`)), false);

      await daemonAt(paths);
      await until(() => sink.connected, 'the sink reconnects to the restarted daemon');
      for (const id of ids('second', 10)) assert.equal(sink.write(detection(id)), true);
      await sink.flush();
    });
    assert.deepEqual(
      [...idCounts(paths.log).keys()].sort(),
      [...ids('first', 10), ...ids('second', 10)].sort(),
    );
    assert.equal(messages.length, 2, `one message each way: ${messages.join(' | ')}`);
    assert.match(messages[0], /lost the connection/);
    assert.match(messages[1], /takes records again/);
  });

  it('does not keep the process alive: a client that writes and does nothing else exits promptly, its records in the daemon log or the fallback', async () => {
    const paths = tempPaths();
    const handle = await daemonAt(paths);
    const result = await runExitClient(paths, 'idle', 200);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(result.afterWritten < 2_000, `exited ${result.afterWritten} ms after its last write`);
    // The daemon answers and writes what it received before it stops.
    await handle.close();
    const logged = idCounts(paths.log);
    const fellBack = idCounts(paths.fallback);
    const lost = ids('idle', 200).filter((id) => !logged.has(id) && !fellBack.has(id));
    assert.deepEqual(lost, []);
  });

  it('declines past maxOutstanding records queued or unacknowledged, and takes again once they are acked', async () => {
    const paths = tempPaths();
    await daemonAt(paths);
    const { sink, fallback } = sinkTo(paths, { maxOutstanding: 5 });
    await until(() => sink.connected, 'the sink is connected');
    for (const id of ids('cap', 5)) assert.equal(sink.write(detection(id)), true);
    assert.equal(sink.write(detection('cap-5')), false, 'queued records count');
    await nextImmediate();
    assert.equal(sink.write(detection('cap-6')), false, 'sent but unacknowledged records count');
    await sink.flush();
    assert.equal(sink.write(detection('cap-7')), true, 'acked records no longer count');
    await sink.flush();
    assert.deepEqual([...idCounts(paths.log).keys()].sort(), [...ids('cap', 5), 'cap-7'].sort());
    await fallback.flush();
    assert.equal(fs.existsSync(paths.fallback), false);
  });

  it('sends a record too large for one protocol line to the fallback, and the others to the daemon', async () => {
    const paths = tempPaths();
    const handle = await daemonAt(paths);
    const { sink, fallback } = sinkTo(paths);
    await until(() => sink.connected, 'the sink is connected');
    sink.write(detection('small-0'));
    assert.equal(sink.write(detection('huge', 'x'.repeat(MAX_LINE_BYTES))), true);
    sink.write(detection('small-1'));
    await sink.flush();
    await fallback.flush();
    assert.deepEqual([...idCounts(paths.log).keys()].sort(), ['small-0', 'small-1']);
    assert.deepEqual([...idCounts(paths.fallback).keys()], ['huge']);
    assert.equal(handle.stats().rejected, 0, 'the daemon never saw an over-long line');
  });

  it('flushSync() at process.exit writes sent-but-unacked and queued records to the fallback file, synchronously', async () => {
    const paths = tempPaths();
    const handle = await daemonAt(paths);
    const result = await runExitClient(paths, 'exit', 100);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /written/);
    // Nothing was acked before process.exit: every record must be in the file the child wrote.
    const fellBack = idCounts(paths.fallback);
    assert.deepEqual([...fellBack.keys()].sort(), ids('exit', 100).sort());
    await handle.close();
    assert.ok(handle.stats().accepted <= 1, 'at most the first batch reached the daemon as well');
  });
});
