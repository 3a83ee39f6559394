import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { diag, DiagLogLevel, trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { MimaAttestationError } from '../../src';
import { activeGuard } from '../../src/app/guard';
import { loadAI } from '../helpers/ai';
import { clearRecords, LOG_FILE, readRecords, SOCKET_PATH, useGuard } from '../helpers/guard';
import { loadOpenAI, makeClient } from '../helpers/openai';
import { isolateSdkTests } from '../helpers/sdk-suite';
import {
  aiTarget,
  captureAllDiag,
  daemonConnected,
  explodingLogger,
  openaiTarget,
  readLog,
  tempDir,
  until,
  type Target,
} from './helpers';

const CALLS = 4;

/**
 * The app's view of CALLS unattested calls in warn mode (each answers 'hello') and two in block
 * mode (each fails with MimaAttestationError only, and sends nothing).
 */
async function callThrough(target: Target, options: { block?: boolean } = {}): Promise<void> {
  const seen = target.mock(CALLS);
  for (let i = 0; i < CALLS; i++) assert.equal(await target.call(), 'hello', `${target.name} call ${i}`);
  assert.equal(seen.requests, CALLS);
  if (options.block === false) return;
  const config = activeGuard()!.config;
  useGuard({ mode: 'block', logFile: config.logFile, socketPath: config.socketPath });
  try {
    for (let i = 0; i < 2; i++) {
      await assert.rejects(target.call(), (error: unknown) => {
        assert.ok(error instanceof MimaAttestationError, `only the guard's error, not ${String(error)}`);
        return true;
      });
    }
  } finally {
    useGuard({ mode: 'warn', logFile: config.logFile, socketPath: config.socketPath });
  }
}

/** Exactly one of the guard's diag messages matches: one per fault kind, however many calls. */
function onceFor(messages: string[], pattern: RegExp, what: string): void {
  const matching = messages.filter((m) => pattern.test(m));
  assert.equal(matching.length, 1, `one diag message for ${what}, got: ${JSON.stringify(messages)}`);
}

const throwing = (what: string) => () => {
  throw new Error(`injected: ${what}`);
};

describe('reliability: a fault inside the guard never reaches the app', () => {
  const targets: Target[] = [];

  before(() => {
    targets.push(openaiTarget(makeClient(loadOpenAI(6))));
    const { ai, openai } = loadAI(6);
    targets.push(aiTarget(ai, openai));
  });

  isolateSdkTests();

  afterEach(() => {
    useGuard({ mode: 'warn' }).setTracerProvider(trace.getTracerProvider());
    diag.disable();
  });

  for (const index of [0, 1]) {
    const sdk = index === 0 ? 'openai' : 'ai';

    describe(`through ${sdk}`, () => {
      const target = () => targets[index];

      for (const [hook, outcome] of [
        ['onStart', 'the record goes on to the JSONL file'],
        ['onEnd', 'the call is unchanged'],
      ] as const) {
        it(`a SpanProcessor whose ${hook} throws: ${outcome}; one diag message; no record lost`, async () => {
          const processor: SpanProcessor = {
            onStart() {},
            onEnd() {},
            [hook]: throwing(hook),
            forceFlush: async () => {},
            shutdown: async () => {},
          };
          const { guard } = await captureAllDiag(async () => {
            useGuard({ mode: 'warn' }).setTracerProvider(
              new BasicTracerProvider({ spanProcessors: [processor] }),
            );
            await callThrough(target());
          });
          onceFor(guard, /span/, 'the failing span sink');
          assert.equal((await readRecords()).length, CALLS + 2, 'no record lost');
        });
      }

      it('a span exporter whose export throws: the call is unchanged, nothing from the guard', async () => {
        const exporter: SpanExporter = {
          export: throwing('export'),
          shutdown: async () => {},
        };
        const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
        const { guard } = await captureAllDiag(async () => {
          useGuard({ mode: 'warn' }).setTracerProvider(provider);
          await callThrough(target());
          // The failed exports surface (if at all) on a later tick.
          await new Promise((resolve) => setTimeout(resolve, 20));
        });
        // The span recorded, so the span sink took the record: the app's exporter lost it, not the guard.
        assert.deepEqual(guard, []);
      });

      it('a DiagLogger whose every method throws: the guard survives its own logger failing', async () => {
        const blocker = path.join(tempDir(), 'not-a-dir');
        fs.writeFileSync(blocker, '');
        const logFile = path.join(blocker, 'log.jsonl');
        const exploding = explodingLogger();
        const unhandled: unknown[] = [];
        const onUnhandled = (reason: unknown) => unhandled.push(reason);
        process.on('unhandledRejection', onUnhandled);
        diag.setLogger(exploding.logger, { logLevel: DiagLogLevel.ALL, suppressOverrideMessage: true });
        exploding.arm(true);
        try {
          // Faults that log: an unwritable JSONL file and a span processor that throws.
          const processor: SpanProcessor = {
            onStart: throwing('onStart'),
            onEnd() {},
            forceFlush: async () => {},
            shutdown: async () => {},
          };
          useGuard({ mode: 'warn', logFile }).setTracerProvider(
            new BasicTracerProvider({ spanProcessors: [processor] }),
          );
          await callThrough(target());
          await activeGuard()!.sinks.flush();
          await new Promise((resolve) => setTimeout(resolve, 250)); // a retry or two of the file
        } finally {
          exploding.arm(false);
          diag.disable();
          process.removeListener('unhandledRejection', onUnhandled);
          fs.rmSync(blocker);
        }
        assert.deepEqual(unhandled, [], 'no unhandled rejection from the guard');
        // The file is writable now: the records kept in memory reach it.
        await until(() => readLog(logFile).records.length === CALLS + 2, 'the kept records are written');
      });

      it('a JSONL log path that cannot be opened: calls unchanged, one diag message, records kept and written later', async () => {
        const blocker = path.join(tempDir(), 'not-a-dir');
        fs.writeFileSync(blocker, '');
        const logFile = path.join(blocker, 'log.jsonl');
        const { guard } = await captureAllDiag(async () => {
          useGuard({ mode: 'warn', logFile });
          await callThrough(target());
          await activeGuard()!.sinks.flush();
          await callThrough(target(), { block: false });
          await activeGuard()!.sinks.flush();
        });
        onceFor(guard, /cannot write/, 'the unwritable file');
        fs.rmSync(blocker);
        await until(() => readLog(logFile).records.length === 2 * CALLS + 2, 'the kept records are written');
      });

      it('an fs write failure injected: calls unchanged, one diag message, the records written once fs recovers', async () => {
        // The module object itself: this file's `fs` is a namespace of getters over it.
        const realFs = require('node:fs') as { write: unknown; writeSync: unknown };
        const realWrite = realFs.write;
        const realWriteSync = realFs.writeSync;
        const injected = () => Object.assign(new Error('injected EIO'), { code: 'EIO' });
        realFs.write = (...args: unknown[]) => {
          const callback = args[args.length - 1] as (error: Error) => void;
          process.nextTick(() => callback(injected()));
        };
        realFs.writeSync = () => {
          throw injected();
        };
        let result: { guard: string[] };
        try {
          result = await captureAllDiag(async () => {
            useGuard({ mode: 'warn' });
            await callThrough(target());
            await activeGuard()!.sinks.flush();
            await callThrough(target(), { block: false });
            await activeGuard()!.sinks.flush();
          });
        } finally {
          realFs.write = realWrite;
          realFs.writeSync = realWriteSync;
        }
        onceFor(result.guard, /cannot write/, 'the failing writes');
        await until(() => readLog(LOG_FILE).records.length === 2 * CALLS + 2, 'the kept records are written');
      });

      it('a daemon that accepts and never acknowledges: the records reach the JSONL file after the ack timeout', async function () {
        this.timeout(40_000);
        const dir = tempDir('mima-hang-');
        const socketPath = path.join(dir, 'hang.sock');
        const received: Buffer[] = [];
        const sockets = new Set<net.Socket>();
        const server = net.createServer((socket) => {
          sockets.add(socket);
          socket.on('data', (chunk) => received.push(chunk)); // read, never answer
        });
        await new Promise<void>((resolve) => server.listen(socketPath, resolve));
        try {
          const { guard } = await captureAllDiag(async () => {
            useGuard({ mode: 'warn', socketPath });
            await until(daemonConnected, 'the guard connected to the hanging daemon');
            await callThrough(target());
            await until(() => received.length > 0, 'the hanging daemon received a batch');
            // 5 s ack timeout, then the handover to the JSONL sink.
            await until(
              () => readLog(LOG_FILE).records.length >= CALLS + 2,
              'the unacknowledged records reached the JSONL file',
              30_000,
            );
          });
          onceFor(guard, /did not acknowledge/, 'the silent daemon');
          const ids = readLog(LOG_FILE).records.map((r) => r.id);
          assert.equal(new Set(ids).size, CALLS + 2, 'each record once');
        } finally {
          useGuard({ mode: 'warn', socketPath: SOCKET_PATH });
          await activeGuard()!.reporting.daemon.flush();
          for (const socket of sockets) socket.destroy();
          await new Promise((resolve) => server.close(resolve));
          await clearRecords();
        }
      });

      it('a request model that cannot be serialised (BigInt, cyclic, throwing toJSON): one record each, the app sees only its SDK’s own outcome', async () => {
        const cyclic: Record<string, unknown> = {};
        cyclic.self = cyclic;
        const hostile = [
          10n,
          cyclic,
          {
            toJSON: throwing('toJSON'),
          },
        ];
        const { guard } = await captureAllDiag(async () => {
          useGuard({ mode: 'report' });
          for (const model of hostile) {
            const seen = target().mock(1);
            // Without the guard the SDK fails (its JSON.stringify throws) or sends: either is its own.
            await target()
              .call({ model })
              .catch((error: unknown) => assert.ok(!(error instanceof MimaAttestationError)));
            assert.ok(seen.requests <= 1);
          }
        });
        assert.deepEqual(guard, []);
        const records = await readRecords();
        // The ai SDK reads the model object itself before the guard's wrapper sees a call; openai
        // passes it through to the guard. Every call the guard saw is recorded, whole.
        assert.ok(records.length >= 1 && records.length <= hostile.length, `records: ${records.length}`);
        for (const record of records) assert.equal(record.call_site, target().callSite);
      });

      it('a request model with a throwing getter: the call is still recorded; one diag message', async () => {
        let reads = 0;
        const body = {
          get model(): unknown {
            reads++;
            if (reads === 1) throw new Error('injected: hostile model getter');
            return target().model();
          },
        };
        const { guard } = await captureAllDiag(async () => {
          useGuard({ mode: 'warn' });
          for (let i = 0; i < 3; i++) {
            reads = 0;
            target().mock(1);
            await target()
              .call(body)
              .catch((error: unknown) => assert.ok(!(error instanceof MimaAttestationError)));
          }
        });
        assert.ok(guard.length <= 1, `at most one diag message: ${JSON.stringify(guard)}`);
        assert.equal((await readRecords()).length, 3, 'every unattested call recorded');
      });

      it('stack capture failing: Error.prepareStackTrace that throws, and Error.stackTraceLimit = 0', async () => {
        const prepare = Error.prepareStackTrace;
        const limit = Error.stackTraceLimit;
        // Calls made with the app's hooks in place; nothing is asserted until they are restored
        // (assert's own errors would call the throwing formatter).
        const outcomes: unknown[] = [];
        const run = async () => {
          target().mock(CALLS);
          for (let i = 0; i < CALLS; i++)
            outcomes.push(
              await target()
                .call()
                .catch((error: unknown) => error),
            );
        };
        let result: { guard: string[] };
        try {
          result = await captureAllDiag(async () => {
            useGuard({ mode: 'warn' });
            Error.prepareStackTrace = throwing('prepareStackTrace');
            await run();
            Error.prepareStackTrace = prepare;
            Error.stackTraceLimit = 0;
            await run();
          });
        } finally {
          Error.prepareStackTrace = prepare;
          Error.stackTraceLimit = limit;
        }
        assert.deepEqual(outcomes, Array(2 * CALLS).fill('hello'));
        assert.deepEqual(result.guard, []);
        const records = await readRecords();
        assert.equal(records.length, 2 * CALLS, 'every call recorded');
        // Both ways the guard still finds the caller (it reads structured frames with its own limit).
        for (const record of records) assert.match(record.code_file ?? '', /helpers\.js$/);
      });
    });
  }

  it("a DiagLogger that throws while the guard logs from a module hook or at enable: the app's require() and enableGuard() go on", () => {
    // Installed by the app as the SDK loads: the hooks log an out-of-range version and a moved
    // patch point, enableGuard() a malformed ~/.mima/config.json. Each went through a logger that
    // threw, so the app's require() of its SDK, or enableGuard(), threw.
    const fakeSdk = (version: string, files: Record<string, string>) => {
      const dir = path.join(tempDir(), 'node_modules', 'openai');
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(
        path.join(dir, 'package.json'),
        JSON.stringify({ name: 'openai', version, main: 'index.js' }),
      );
      for (const [file, source] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), source);
      return path.join(dir, 'index.js');
    };
    const outOfRange = fakeSdk('3.99.0', { 'index.js': 'exports.OpenAI = class OpenAI {};\n' });
    const moved = fakeSdk('5.99.2', {
      'client.js': 'class OpenAI { request() { return "sent"; } }\nexports.OpenAI = OpenAI;\n',
      'index.js': 'module.exports = require("./client.js");\n',
    });
    const home = tempDir();
    fs.mkdirSync(path.join(home, '.mima'));
    fs.writeFileSync(path.join(home, '.mima', 'config.json'), '{"workspace_id": oops');

    const exploding = explodingLogger();
    const savedHome = process.env.HOME;
    diag.setLogger(exploding.logger, { logLevel: DiagLogLevel.ALL, suppressOverrideMessage: true });
    exploding.arm(true);
    try {
      process.env.HOME = home;
      delete process.env.MIMA_WORKSPACE_ID;
      assert.doesNotThrow(() => useGuard({ mode: 'warn' }), 'enableGuard()');
      assert.doesNotThrow(() => require(outOfRange), 'require() of an SDK outside the supported range');
      const { OpenAI } = require(moved) as { OpenAI: new () => { request(): string } };
      assert.equal(new OpenAI().request(), 'sent', 'the SDK whose patch point moved still works');
    } finally {
      exploding.arm(false);
      process.env.HOME = savedHome;
      diag.disable();
    }
    for (const expected of [
      /config\.json: it is not valid JSON/,
      /openai 3\.99\.0 is outside/,
      /not found in openai 5\.99\.2/,
    ]) {
      assert.ok(
        exploding.told.some((message) => expected.test(message)),
        `the logger was asked for ${expected}: ${exploding.told.join(' | ')}`,
      );
    }
  });

  it('an in-memory exporter still sees one span per call after the faults (the guard recovered)', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    useGuard({ mode: 'warn' }).setTracerProvider(provider);
    await callThrough(targets[0], { block: false });
    const spans: ReadableSpan[] = exporter.getFinishedSpans().filter((s) => s.name === 'mima.ai_call');
    assert.equal(spans.length, CALLS);
  });
});
