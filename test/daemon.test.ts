import * as assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { MAX_LINE_BYTES, encodeRecords } from '../src/app/daemon-wire/protocol';
import { startDaemon, type DaemonHandle, type DaemonOptions } from '../src/command/daemon/server';
import { validateMessage } from '../src/command/daemon/validate';
import type { DetectionRecord } from '../src/app/types';
import {
  logFiles,
  makeRecord,
  RawClient,
  readLog,
  tempDir,
  waitFor,
  type Reply,
} from './fixtures/daemon/client';
import { childEnv } from './helpers/node-child';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'build', 'src', 'command', 'cli.js');

const ack = (seq: number): Reply => ({ v: 1, type: 'ack', seq });

/** A daemon in its own temp dir (socket d.sock, log log.jsonl unless options say otherwise). */
async function daemonFor(options: Partial<DaemonOptions> = {}) {
  const dir = tempDir();
  const resolved = { socketPath: path.join(dir, 'd.sock'), logFile: path.join(dir, 'log.jsonl'), ...options };
  const handle = await startDaemon(resolved);
  return { dir, logFile: resolved.logFile, handle };
}

let open: DaemonHandle[] = [];

/** A daemon that is closed after the test (see the afterEach in the suite). */
async function started(options: Partial<DaemonOptions> = {}) {
  const daemon = await daemonFor(options);
  open.push(daemon.handle);
  return daemon;
}

function batchOf(count: number, overrides: Partial<DetectionRecord> = {}): DetectionRecord[] {
  return Array.from({ length: count }, () => makeRecord(overrides));
}

/** One batch line (records default to one fresh record). */
const valid = (seq: number, records: DetectionRecord[] = batchOf(1)) => encodeRecords(seq, records);

/**
 * The environment for a `mima-guard daemon` child: nothing inherited points it elsewhere (no
 * `MIMA_` or `OTEL_` variable, a HOME of its own). It runs build/src: its coverage counts.
 */
function daemonEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return childEnv({ HOME: tempDir(), ...extra }, { keepCoverage: true, dropPrefixes: ['OTEL_'] });
}

interface CliDaemon {
  child: ChildProcessWithoutNullStreams;
  output: { stdout: string; stderr: string };
  exited: Promise<[number | null, NodeJS.Signals | null]>;
}

/** Starts `mima-guard daemon` and resolves on its "listening" line (rejects if it exits first). */
async function startCliDaemon(args: string[], env: NodeJS.ProcessEnv): Promise<CliDaemon> {
  const child = spawn(process.execPath, [CLI, 'daemon', ...args], { env });
  const output = { stdout: '', stderr: '' };
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  await new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output.stdout += chunk;
      if (output.stdout.includes('\n')) resolve();
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output.stderr += chunk));
    void exited.then(([code]) => reject(new Error(`daemon exited early (${code}): ${output.stderr}`)));
  });
  return { child, output, exited };
}

/** Receives OTLP/HTTP trace exports on 127.0.0.1 and decodes the JSON bodies. */
async function otlpReceiver() {
  const requests: Array<{ method?: string; url?: string; contentType?: string; body: unknown }> = [];
  let notify = () => {};
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const contentType = request.headers['content-type'];
      requests.push({
        method: request.method,
        url: request.url,
        contentType,
        body: contentType === 'application/json' ? JSON.parse(text) : text,
      });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      notify();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    spans: () => requests.flatMap((request) => spansIn(request.body)),
    /** Resolves once `count` spans have arrived. */
    async waitForSpans(count: number) {
      while (this.spans().length < count) await new Promise<void>((resolve) => (notify = resolve));
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface OtlpSpan {
  name: string;
  attributes: Record<string, unknown>;
  startTimeUnixNano: string;
  status?: { code?: number };
  resource: Record<string, unknown>;
}

type OtlpAttribute = { key: string; value: Record<string, unknown> };

/** The spans of an OTLP/JSON ExportTraceServiceRequest, attributes flattened to key → value. */
function spansIn(body: unknown): OtlpSpan[] {
  const flatten = (attributes: OtlpAttribute[] = []) =>
    Object.fromEntries(attributes.map(({ key, value }) => [key, Object.values(value)[0]]));
  const request = body as {
    resourceSpans?: Array<{
      resource?: { attributes?: OtlpAttribute[] };
      scopeSpans?: Array<{
        spans?: Array<{
          name: string;
          attributes?: OtlpAttribute[];
          startTimeUnixNano: string;
          status?: { code?: number };
        }>;
      }>;
    }>;
  };
  return (request.resourceSpans ?? []).flatMap((resourceSpans) =>
    (resourceSpans.scopeSpans ?? []).flatMap((scopeSpans) =>
      (scopeSpans.spans ?? []).map((span) => ({
        name: span.name,
        attributes: flatten(span.attributes),
        startTimeUnixNano: String(span.startTimeUnixNano),
        status: span.status,
        resource: flatten(resourceSpans.resource?.attributes),
      })),
    ),
  );
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('local daemon', () => {
  afterEach(async () => {
    const handles = open;
    open = [];
    await Promise.all(handles.map((handle) => handle.close()));
  });

  describe('socket', () => {
    it('creates its socket 0600 in a new 0700 directory, and removes it on close()', async () => {
      const dir = tempDir();
      const socketPath = path.join(dir, 'run', 'd.sock');
      const handle = await startDaemon({ socketPath, logFile: path.join(dir, 'log.jsonl') });
      try {
        assert.equal(handle.socketPath, socketPath);
        const socketStat = fs.lstatSync(socketPath);
        assert.ok(socketStat.isSocket());
        assert.equal(socketStat.mode & 0o777, 0o600);
        assert.equal(fs.statSync(path.dirname(socketPath)).mode & 0o777, 0o700);
        assert.ok(!fs.existsSync(`${socketPath}.lock`), 'the start-up lock is released');
      } finally {
        await handle.close();
      }
      assert.ok(!fs.existsSync(socketPath));
      // Closing twice is the same close.
      await handle.close();
    });

    it('replaces a stale socket file left by a process killed with SIGKILL', async () => {
      const dir = tempDir();
      const socketPath = path.join(dir, 'd.sock');
      const holder = spawn(
        process.execPath,
        ['-e', "require('net').createServer().listen(process.argv[1], () => console.log('up'))", socketPath],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      await once(holder.stdout, 'data');
      holder.kill('SIGKILL');
      await once(holder, 'exit');
      assert.ok(fs.lstatSync(socketPath).isSocket(), 'the dead process left its socket file');

      const { handle, logFile } = await started({ socketPath, logFile: path.join(dir, 'log.jsonl') });
      const client = await RawClient.connect(socketPath);
      const records = batchOf(2);
      await client.sendBatch(1, records);
      assert.deepEqual(await client.finish(), [ack(1)]);
      assert.deepEqual(readLog(logFile), records);
      assert.equal(handle.stats().accepted, 1);
    });

    it('refuses to start on a socket a live daemon listens on, naming the path; the first keeps serving', async () => {
      const { handle, dir } = await started();
      await assert.rejects(
        startDaemon({ socketPath: handle.socketPath, logFile: path.join(dir, 'second.jsonl') }),
        (error: Error) => {
          assert.equal(error.message, `a mima-guard daemon is already listening on ${handle.socketPath}`);
          return true;
        },
      );
      assert.ok(!fs.existsSync(`${handle.socketPath}.lock`), 'the refused start released its lock');
      const client = await RawClient.connect(handle.socketPath);
      await client.sendBatch(3, batchOf(1));
      assert.deepEqual(await client.finish(), [ack(3)]);
    });

    it('refuses a path that exists and is not a socket, and leaves the file as it was', async () => {
      const dir = tempDir();
      const socketPath = path.join(dir, 'd.sock');
      fs.writeFileSync(socketPath, 'not a socket\n');
      await assert.rejects(startDaemon({ socketPath, logFile: path.join(dir, 'log.jsonl') }), {
        message: `${socketPath} exists and is not a socket; not replacing it`,
      });
      assert.equal(fs.readFileSync(socketPath, 'utf8'), 'not a socket\n');
      assert.ok(!fs.existsSync(`${socketPath}.lock`));
    });
  });

  describe('batches', () => {
    it('acks 4 concurrent clients × 300 batches in seq order; each acked record is logged exactly once; stats match', async () => {
      const { handle, logFile } = await started();
      const CLIENTS = 4;
      const BATCHES = 300;
      const clients = await Promise.all(
        Array.from({ length: CLIENTS }, () => RawClient.connect(handle.socketPath)),
      );
      const sent = new Map<string, DetectionRecord>();
      await Promise.all(
        clients.map(async (client, c) => {
          // Pipelined: every batch is written before any ack is read, so the daemon's reading,
          // back-pressure and ordering are exercised; seqs start at a per-client offset.
          const writes: Promise<void>[] = [];
          for (let b = 0; b < BATCHES; b++) {
            const records = batchOf(1 + ((b + c) % 3), { pid: 1000 + c });
            for (const record of records) sent.set(record.id, record);
            writes.push(client.sendBatch(c * 10_000 + b, records));
          }
          await Promise.all(writes);
          await client.waitForReplies(1);
        }),
      );
      assert.equal(handle.stats().connections, CLIENTS, 'all four are served at once');
      const replies = await Promise.all(clients.map((client) => client.finish()));
      for (const [c, reply] of replies.entries()) {
        assert.deepEqual(
          reply,
          Array.from({ length: BATCHES }, (_, b) => ack(c * 10_000 + b)),
          `client ${c}: every batch acked, in seq order`,
        );
      }

      const logged = readLog(logFile);
      const ids = logged.map((record) => record.id);
      assert.equal(new Set(ids).size, ids.length, 'no record is logged twice');
      assert.deepEqual(new Set(ids), new Set(sent.keys()));
      for (const record of logged) assert.deepEqual(record, sent.get(record.id));
      await waitFor(() => handle.stats().connections === 0, 'every connection to close');
      assert.deepEqual(handle.stats(), { accepted: CLIENTS * BATCHES, rejected: 0, connections: 0 });
    });

    it('rotates its log at maxBytes: every record appears once, in order, across log.jsonl and its backups', async () => {
      const maxBytes = 4096;
      const { handle, logFile } = await started({ maxBytes, backups: 100 });
      const client = await RawClient.connect(handle.socketPath);
      const sent: DetectionRecord[] = [];
      for (let seq = 0; seq < 60; seq++) {
        const records = batchOf(1 + (seq % 5));
        sent.push(...records);
        await client.sendBatch(seq, records);
        // One at a time, so the order in the log is the order sent.
        await client.waitForReplies(seq + 1);
      }
      assert.deepEqual(
        await client.finish(),
        Array.from({ length: 60 }, (_, seq) => ack(seq)),
      );

      const files = logFiles(logFile);
      assert.ok(files.length >= 5, `rotated into ${files.length} files`);
      for (const file of files) {
        const size = fs.statSync(file).size;
        assert.ok(size > 0 && size <= maxBytes, `${path.basename(file)} holds ${size} bytes`);
        assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      }
      // readLog parses every line (a torn or merged line would throw) and reads oldest first.
      assert.deepEqual(readLog(logFile), sent);
    });

    it('acks a batch with no records and writes nothing for it', async () => {
      const { handle, logFile } = await started();
      const client = await RawClient.connect(handle.socketPath);
      await client.sendBatch(0, []);
      assert.deepEqual(await client.finish(), [ack(0)]);
      assert.deepEqual(readLog(logFile), []);
      assert.equal(handle.stats().accepted, 1);
    });
  });

  describe('bad input', () => {
    const CANARY = 'CANARY-prompt-text-must-never-be-logged';
    const validLine = (record: object, seq = 1) =>
      JSON.stringify({ v: 1, type: 'records', seq, records: [record] });
    const badLines: Array<{ name: string; line: string | Buffer; seq?: number; reason: RegExp }> = [
      {
        name: 'malformed JSON',
        line: `{"v":1,"type":"records","seq":1,"records":[{"id":"${CANARY}"`,
        reason: /^line is not UTF-8 JSON$/,
      },
      {
        name: 'invalid UTF-8 inside a record',
        // A lone 0xff byte inside an otherwise valid record's string.
        line: (() => {
          const [head, tail] = validLine({ ...makeRecord(), call_site: CANARY }).split(CANARY);
          return Buffer.concat([Buffer.from(head), Buffer.from([0xff]), Buffer.from(CANARY + tail)]);
        })(),
        reason: /^line is not UTF-8 JSON$/,
      },
      {
        name: 'binary garbage',
        line: Buffer.from([0x00, 0x9f, 0x92, 0x96, 0xff, 0xfe, 0x7b, 0x22, 0xc0, 0x80, 0x0d]),
        reason: /^line is not UTF-8 JSON$/,
      },
      { name: 'a JSON array', line: '[1,2,3]', reason: /^message is not a JSON object$/ },
      { name: 'JSON null', line: 'null', reason: /^message is not a JSON object$/ },
      {
        name: 'unknown protocol version',
        line: JSON.stringify({ v: 2, type: 'records', seq: 5, records: [makeRecord({ id: CANARY })] }),
        seq: 5,
        reason: /^unsupported protocol version 2$/,
      },
      {
        name: 'missing protocol version',
        line: JSON.stringify({ type: 'records', seq: 6, records: [] }),
        seq: 6,
        reason: /^unsupported protocol version undefined$/,
      },
      {
        name: 'unknown message type',
        line: JSON.stringify({ v: 1, type: 'hello', seq: 7 }),
        seq: 7,
        reason: /^unknown message type "hello"$/,
      },
      {
        name: 'a record with a prompt field',
        line: validLine({ ...makeRecord(), prompt: CANARY }, 8),
        seq: 8,
        reason: /^records\[0\]: unknown field "prompt"$/,
      },
      {
        name: 'an unknown message field',
        line: JSON.stringify({ v: 1, type: 'records', seq: 9, records: [makeRecord()], note: CANARY }),
        seq: 9,
        reason: /^unknown message field "note"$/,
      },
      {
        name: 'a record missing a field',
        line: (() => {
          const record: Partial<DetectionRecord> = makeRecord({ call_site: CANARY });
          delete record.id;
          return validLine(record, 10);
        })(),
        seq: 10,
        reason: /^records\[0\]: missing id$/,
      },
      {
        name: 'an attested record',
        line: JSON.stringify({
          v: 1,
          type: 'records',
          seq: 11,
          records: [makeRecord(), { ...makeRecord(), attested: true, call_site: CANARY }],
        }),
        seq: 11,
        reason: /^records\[1\]: invalid attested$/,
      },
      {
        name: 'a ts that is no date (month 13)',
        line: validLine(makeRecord({ ts: '2026-13-01T00:00:00.000Z', call_site: CANARY }), 13),
        seq: 13,
        reason: /^records\[0\]: invalid ts "2026-13-01T00:00:00\.000Z": expected an ISO 8601 date-time /,
      },
      {
        name: 'a ts far in the future',
        line: validLine(makeRecord({ ts: '9999-12-31T00:00:00.000Z', call_site: CANARY }), 15),
        seq: 15,
        reason:
          /^records\[0\]: invalid ts "9999-12-31T00:00:00\.000Z": .* to a day after the daemon's clock$/,
      },
      {
        name: 'a ts that is text',
        line: validLine(makeRecord({ ts: CANARY }), 14),
        seq: 14,
        reason: /^records\[0\]: invalid ts ".*": expected /,
      },
      {
        name: 'a negative seq',
        line: JSON.stringify({ v: 1, type: 'records', seq: -1, records: [] }),
        reason: /^seq must be a non-negative integer$/,
      },
      {
        name: 'records that are not an array',
        line: JSON.stringify({ v: 1, type: 'records', seq: 12, records: { 0: makeRecord({ id: CANARY }) } }),
        seq: 12,
        reason: /^records must be an array$/,
      },
    ];

    it('accepts the timestamps other guards write: toISOString, and Python isoformat with microseconds and offset', () => {
      for (const ts of [
        '2026-06-28T09:14:22.123Z',
        '2026-06-28T09:14:22Z',
        '2026-06-28T09:14:22.123456+00:00',
      ]) {
        const result = validateMessage({ v: 1, type: 'records', seq: 1, records: [makeRecord({ ts })] });
        assert.equal(result.ok, true, `${ts}: ${JSON.stringify(result)}`);
      }
    });

    it('rejects each bad line with an error reply (seq echoed when known), counts it, and acks the next valid batch', async () => {
      const { handle, logFile } = await started();
      const client = await RawClient.connect(handle.socketPath);
      const good: DetectionRecord[] = [];
      for (const [index, bad] of badLines.entries()) {
        const records = batchOf(1);
        good.push(...records);
        await client.send(bad.line);
        await client.send(`\n${valid(100 + index, records)}`);
        const [error, next] = (await client.waitForReplies(2 * index + 2)).slice(-2);
        assert.equal(error.type, 'error', bad.name);
        assert.deepEqual(
          { v: error.v, seq: error.seq },
          { v: 1, seq: bad.seq },
          `${bad.name}: seq ${bad.seq === undefined ? 'absent' : 'echoed'}`,
        );
        assert.match(error.reason ?? '', bad.reason, bad.name);
        assert.deepEqual(
          Object.keys(error).sort(),
          bad.seq === undefined ? ['reason', 'type', 'v'] : ['reason', 'seq', 'type', 'v'],
        );
        assert.deepEqual(next, ack(100 + index), `the batch after ${bad.name}`);
      }
      await client.finish();
      assert.deepEqual(
        { accepted: handle.stats().accepted, rejected: handle.stats().rejected },
        { accepted: badLines.length, rejected: badLines.length },
      );
      assert.deepEqual(readLog(logFile), good);
      assert.ok(!fs.readFileSync(logFile, 'utf8').includes(CANARY), 'nothing from a rejected line is logged');
    });

    it('ignores empty lines: no reply, neither accepted nor rejected', async () => {
      const { handle } = await started();
      const client = await RawClient.connect(handle.socketPath);
      await client.send(`\n\n${valid(1)}\n`);
      assert.deepEqual(await client.finish(), [ack(1)]);
      assert.equal(handle.stats().rejected, 0);
      assert.equal(handle.stats().accepted, 1);
    });

    it(`accepts a line of exactly ${MAX_LINE_BYTES} bytes, rejects one byte more, and acks the lines after it`, async () => {
      const { handle, logFile } = await started();
      const client = await RawClient.connect(handle.socketPath);
      // JSON allows whitespace between tokens: pad a valid batch to an exact length.
      const padded = (seq: number, length: number, records: DetectionRecord[]) => {
        const line = valid(seq, records).slice(0, -1);
        return `${line.slice(0, -1)}${' '.repeat(length - Buffer.byteLength(line))}}\n`;
      };
      const atCap = batchOf(1);
      const overCap = batchOf(1, { call_site: CANARY });
      await client.send(padded(1, MAX_LINE_BYTES, atCap));
      await client.send(padded(2, MAX_LINE_BYTES + 1, overCap));
      const after = batchOf(1);
      await client.send(valid(3, after));
      const replies = await client.waitForReplies(3);
      assert.deepEqual(replies, [
        ack(1),
        { v: 1, type: 'error', reason: `line longer than ${MAX_LINE_BYTES} bytes` },
        ack(3),
      ]);
      assert.deepEqual(readLog(logFile), [...atCap, ...after]);
      assert.deepEqual(
        { accepted: handle.stats().accepted, rejected: handle.stats().rejected },
        { accepted: 2, rejected: 1 },
      );
      await client.finish();
    });

    it('rejects a 1 MiB line once, dribbled in small writes, and the connection keeps working', async () => {
      const { handle, logFile } = await started();
      const client = await RawClient.connect(handle.socketPath);
      const huge = `{"v":1,"type":"records","seq":4,"records":[{"call_site":"${CANARY.repeat(30_000).slice(0, 1024 * 1024)}"}]}`;
      for (let offset = 0; offset < huge.length; offset += 4096)
        await client.send(huge.slice(offset, offset + 4096));
      await client.send('\n');
      const records = batchOf(3);
      await client.send(valid(5, records));
      assert.deepEqual(await client.finish(), [
        { v: 1, type: 'error', reason: `line longer than ${MAX_LINE_BYTES} bytes` },
        ack(5),
      ]);
      assert.deepEqual(readLog(logFile), records);
      assert.equal(handle.stats().rejected, 1);
    });

    it('answers a client that half-closes inside a line with an error, and counts it', async () => {
      const { handle, logFile } = await started();
      const client = await RawClient.connect(handle.socketPath);
      await client.send(valid(1));
      await client.send(valid(2, batchOf(1, { call_site: CANARY })).slice(0, 60));
      assert.deepEqual(await client.finish(), [
        ack(1),
        { v: 1, type: 'error', reason: 'connection ended inside a line' },
      ]);
      assert.equal(handle.stats().rejected, 1);
      assert.ok(!fs.readFileSync(logFile, 'utf8').includes(CANARY));
    });

    it('counts a client that vanishes inside a line exactly once, and serves the next client', async () => {
      const { handle, logFile } = await started();
      const client = await RawClient.connect(handle.socketPath);
      await client.send(valid(1));
      await client.waitForReplies(1);
      await client.send(valid(2, batchOf(1, { call_site: CANARY })).slice(0, 80));
      client.destroy();
      await waitFor(() => handle.stats().rejected === 1, 'the cut-off line to be counted');
      await waitFor(() => handle.stats().connections === 0, 'the connection to close');
      assert.equal(handle.stats().rejected, 1, 'counted once, not on both end and close');
      const next = await RawClient.connect(handle.socketPath);
      await next.sendBatch(3, batchOf(1));
      assert.deepEqual(await next.finish(), [ack(3)]);
      assert.ok(!fs.readFileSync(logFile, 'utf8').includes(CANARY));
    });

    it('keeps serving a clean client while another floods it with garbage', async () => {
      const { handle, logFile } = await started();
      const noisy = await RawClient.connect(handle.socketPath);
      const clean = await RawClient.connect(handle.socketPath);
      const garbage = Buffer.alloc(256 * 1024);
      for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919 + 13) % 256;
      const sent: DetectionRecord[] = [];
      const noise = (async () => {
        for (let round = 0; round < 8; round++) await noisy.send(garbage);
        return noisy.finish();
      })();
      for (let seq = 0; seq < 100; seq++) {
        const records = batchOf(1);
        sent.push(...records);
        await clean.sendBatch(seq, records);
      }
      assert.deepEqual(
        await clean.finish(),
        Array.from({ length: 100 }, (_, seq) => ack(seq)),
      );
      const noiseReplies = await noise;
      assert.ok(noiseReplies.length > 0);
      assert.ok(noiseReplies.every((reply) => reply.type === 'error' && reply.seq === undefined));
      assert.deepEqual(readLog(logFile), sent);
      await waitFor(() => handle.stats().connections === 0, 'both connections to close');
      assert.deepEqual(handle.stats(), { accepted: 100, rejected: noiseReplies.length, connections: 0 });
    });
  });

  describe('draining', () => {
    it('close() acks and writes every batch received before it, hangs up, and removes the socket', async () => {
      const { handle, logFile } = await daemonFor();
      const client = await RawClient.connect(handle.socketPath);
      const idle = await RawClient.connect(handle.socketPath);
      const sent: DetectionRecord[] = [];
      // Fewer lines than the daemon queues per connection, in one write: all are read at once.
      const lines = Array.from({ length: 30 }, (_, seq) => {
        const records = batchOf(2);
        sent.push(...records);
        return valid(seq, records);
      });
      await client.send(lines.join(''));
      await client.waitForReplies(1);
      await handle.close();
      await client.ended;
      await idle.ended;
      assert.deepEqual(
        client.replies,
        Array.from({ length: 30 }, (_, seq) => ack(seq)),
      );
      assert.deepEqual(idle.replies, []);
      assert.deepEqual(readLog(logFile), sent);
      assert.ok(!fs.existsSync(handle.socketPath), 'the socket file is removed');
      assert.deepEqual(handle.stats(), { accepted: 30, rejected: 0, connections: 0 });
      await assert.rejects(RawClient.connect(handle.socketPath), { code: 'ENOENT' });
    });

    it('`mima-guard daemon` on SIGTERM acks and writes the batches sent just before it, then exits 0', async () => {
      const dir = tempDir();
      const socketPath = path.join(dir, 'd.sock');
      const logFile = path.join(dir, 'log.jsonl');
      const daemon = await startCliDaemon(['--socket', socketPath, '--log-file', logFile], daemonEnv());
      try {
        const clients = await Promise.all([RawClient.connect(socketPath), RawClient.connect(socketPath)]);
        const sent: DetectionRecord[] = [];
        const writes = clients.map((client, c) => {
          const lines = Array.from({ length: 25 }, (_, seq) => {
            const records = batchOf(3, { pid: c });
            sent.push(...records);
            return valid(seq, records);
          });
          return client.send(lines.join(''));
        });
        await Promise.all(writes);
        // The daemon has read the burst once it answers its first line; most are not acked yet.
        await Promise.all(clients.map((client) => client.waitForReplies(1)));
        daemon.child.kill('SIGTERM');
        assert.deepEqual(await daemon.exited, [0, null], daemon.output.stderr);
        for (const client of clients) {
          await client.ended;
          assert.deepEqual(
            client.replies,
            Array.from({ length: 25 }, (_, seq) => ack(seq)),
          );
        }
        const logged = readLog(logFile);
        assert.equal(logged.length, sent.length, 'each acked record is written exactly once');
        assert.deepEqual(
          new Set(logged.map((record) => record.id)),
          new Set(sent.map((record) => record.id)),
        );
        assert.ok(!fs.existsSync(socketPath), 'the socket file is removed');
        assert.equal(daemon.output.stderr, '');
      } finally {
        if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
      }
    });
  });

  describe('OTLP forwarding', () => {
    it('exports each accepted record as a mima.ai_call span (OTLP/JSON) by close()', async () => {
      const receiver = await otlpReceiver();
      try {
        const { handle } = await daemonFor({ otlpEndpoint: `${receiver.endpoint}/` });
        const records = [
          makeRecord({ call_site: 'openai.chat.completions.create', workspace_id: 'ws-1', code_line: 7 }),
          makeRecord({ call_site: 'anthropic.messages.create', mode: 'block', blocked: true }),
          makeRecord({ code_file: null, code_line: null, workspace_id: null, mode: 'report' }),
        ];
        const client = await RawClient.connect(handle.socketPath);
        await client.sendBatch(1, records);
        await client.send(
          encodeRecords(2, [makeRecord()]).replace('"records":[{', '"records":[{"prompt":"secret",'),
        );
        assert.deepEqual(
          (await client.finish()).map((reply) => reply.type),
          ['ack', 'error'],
        );
        await handle.close();

        assert.ok(receiver.requests.length > 0, 'the receiver got an export');
        for (const request of receiver.requests) {
          assert.equal(request.method, 'POST');
          assert.equal(request.url, '/v1/traces');
          assert.equal(request.contentType, 'application/json');
        }
        const spans = receiver.spans();
        assert.equal(
          spans.length,
          records.length,
          'one span per accepted record, none for the rejected batch',
        );
        for (const record of records) {
          const span = spans.find((candidate) => candidate.attributes['mima.record_id'] === record.id);
          assert.ok(span, `a span for ${record.id}`);
          assert.equal(span.name, 'mima.ai_call');
          assert.equal(span.resource['service.name'], 'mima-guard-daemon');
          const expected: Record<string, unknown> = {
            'mima.call_site': record.call_site,
            'mima.attested': false,
            'mima.mode': record.mode,
            'mima.blocked': record.blocked,
            'mima.record_id': record.id,
          };
          if (record.workspace_id !== null) expected['mima.workspace_id'] = record.workspace_id;
          if (record.code_file !== null) expected['code.file.path'] = record.code_file;
          if (record.code_line !== null) expected['code.line.number'] = String(record.code_line);
          const actual = { ...span.attributes };
          if (actual['code.line.number'] !== undefined)
            actual['code.line.number'] = String(actual['code.line.number']);
          assert.deepEqual(actual, expected);
          assert.equal(
            span.startTimeUnixNano,
            `${Date.parse(record.ts)}000000`,
            'the span is at the call time',
          );
          assert.equal(span.status?.code ?? 0, record.blocked ? 2 : 0);
        }
      } finally {
        await receiver.close();
      }
    });

    it('`mima-guard daemon` forwards when OTEL_EXPORTER_OTLP_ENDPOINT is set in its environment', async () => {
      const receiver = await otlpReceiver();
      const dir = tempDir();
      const socketPath = path.join(dir, 'd.sock');
      const logFile = path.join(dir, 'log.jsonl');
      const daemon = await startCliDaemon(
        ['--socket', socketPath, '--log-file', logFile],
        daemonEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint }),
      );
      try {
        assert.equal(
          daemon.output.stdout,
          `mima-guard daemon listening on ${socketPath}, writing ${logFile}, exporting to ${receiver.endpoint}\n`,
        );
        const record = makeRecord();
        const client = await RawClient.connect(socketPath);
        await client.sendBatch(1, [record]);
        assert.deepEqual(await client.finish(), [ack(1)]);
        daemon.child.kill('SIGTERM');
        assert.deepEqual(await daemon.exited, [0, null], daemon.output.stderr);
        await receiver.waitForSpans(1);
        assert.deepEqual(
          receiver.spans().map((span) => [span.name, span.attributes['mima.record_id']]),
          [['mima.ai_call', record.id]],
        );
      } finally {
        if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
        await receiver.close();
      }
    });

    it('acks and logs while the collector is down, and close() still resolves and removes the socket', async () => {
      const port = await closedPort();
      // The exporter retries a refused connection for its timeout (10 s by default): keep it short.
      const previous = process.env.OTEL_EXPORTER_OTLP_TIMEOUT;
      process.env.OTEL_EXPORTER_OTLP_TIMEOUT = '200';
      let daemon: Awaited<ReturnType<typeof daemonFor>>;
      try {
        daemon = await daemonFor({ otlpEndpoint: `http://127.0.0.1:${port}` });
      } finally {
        if (previous === undefined) delete process.env.OTEL_EXPORTER_OTLP_TIMEOUT;
        else process.env.OTEL_EXPORTER_OTLP_TIMEOUT = previous;
      }
      const { handle, logFile } = daemon;
      const client = await RawClient.connect(handle.socketPath);
      const sent: DetectionRecord[] = [];
      for (let seq = 0; seq < 20; seq++) {
        const records = batchOf(2);
        sent.push(...records);
        await client.sendBatch(seq, records);
      }
      assert.deepEqual(
        await client.finish(),
        Array.from({ length: 20 }, (_, seq) => ack(seq)),
      );
      await handle.close();
      assert.deepEqual(readLog(logFile), sent);
      assert.ok(!fs.existsSync(handle.socketPath));
    });
  });
});
