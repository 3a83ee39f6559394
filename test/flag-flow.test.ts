import * as assert from 'node:assert/strict';
import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import nock from 'nock';
import { attest, MimaAttestationError } from '../src';
import { queueModuleDefinitions } from '../src/app/queues/hooks';
import { guardProblems } from '../src/app/warnings';
import { FIXTURES, runRegisteredApp } from './helpers/esm-app';
import { clearRecords, readRecords, useGuard } from './helpers/guard';
import { BASE_URL, chatCompletion, loadOpenAI, makeClient, type OpenAIModule } from './helpers/openai';

type Job = () => Promise<unknown>;
/** Runs a job through a queue of concurrency 1, as the app's code would. */
type Enqueue = (job: Job) => Promise<unknown>;

/** A limiter as apps write it: the job that finishes starts the next one. */
function handWrittenLimiter(): Enqueue {
  const waiting: { job: Job; resolve: (v: unknown) => void; reject: (e: unknown) => void }[] = [];
  let busy = false;
  const pump = () => {
    const next = busy ? undefined : waiting.shift();
    if (next === undefined) return;
    busy = true;
    next
      .job()
      .then(next.resolve, next.reject)
      .finally(() => {
        busy = false;
        pump();
      });
  };
  return (job) =>
    new Promise((resolve, reject) => {
      waiting.push({ job, resolve, reject });
      pump();
    });
}

/**
 * Where the attested flag flows: it follows async context, so a job gets the flag of whatever
 * started it. In the queues below that is the job that finished before it, not the code that
 * enqueued it. The guard hooks p-limit and p-queue (src/queues) so that their jobs run with their
 * enqueuer's flag; for other queues these tests pin the limitation and the remedies the README
 * gives (bind each job to its enqueuer with AsyncResource.bind, or attest the job itself).
 */
describe('where the attested flag flows', () => {
  let client: ReturnType<typeof makeClient>;

  before(() => {
    client = makeClient(loadOpenAI(6) as OpenAIModule);
  });

  beforeEach(async () => {
    useGuard({ mode: 'report', networkBackstop: false });
    await clearRecords();
    nock.cleanAll();
    // A slow reply: the first job is in flight while the second is enqueued.
    nock(new URL(BASE_URL).origin)
      .post('/v1/chat/completions')
      .times(20)
      .delay(20)
      .reply(200, chatCompletion());
  });

  afterEach(() => nock.cleanAll());
  after(() => useGuard({ mode: 'warn' }));

  const chat = () =>
    client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] });

  /** Queues the guard hooks (src/queues): a job runs with the flag of the code that enqueued it. */
  const hookedQueues: [name: string, make: () => Enqueue][] = [
    [
      'p-limit 3',
      () => {
        const pLimit = require('p-limit') as (n: number) => (job: Job) => Promise<unknown>;
        return pLimit(1);
      },
    ],
    [
      'p-queue 6',
      () => {
        const { default: PQueue } = require('p-queue') as typeof import('p-queue');
        const queue = new PQueue({ concurrency: 1 });
        return (job) => queue.add(job);
      },
    ],
    [
      'p-queue 6 (addAll)',
      () => {
        const { default: PQueue } = require('p-queue') as typeof import('p-queue');
        const queue = new PQueue({ concurrency: 1 });
        return (job) => queue.addAll([job]).then(([result]) => result);
      },
    ],
    [
      // It queues its calls in p-queue.
      "LangChain's AsyncCaller",
      () => {
        const { AsyncCaller } = require('@langchain/core/utils/async_caller') as {
          AsyncCaller: new (p: { maxConcurrency: number; maxRetries: number }) => {
            call: (job: Job) => Promise<unknown>;
          };
        };
        const caller = new AsyncCaller({ maxConcurrency: 1, maxRetries: 0 });
        return (job) => caller.call(job);
      },
    ],
  ];

  /** Queues the guard does not know: the job gets the flag of the job before it. */
  const otherQueues: [name: string, make: () => Enqueue][] = [['a hand-written limiter', handWrittenLimiter]];

  for (const [name, make] of hookedQueues) {
    describe(name, () => {
      it('an unattested job queued behind an attested one is reported', async () => {
        const enqueue = make();
        const attested = attest(() => enqueue(chat))();
        const unattested = enqueue(chat);
        await Promise.all([attested, unattested]);
        const records = await readRecords();
        assert.equal(records.length, 1, 'the unattested job, not the attested one');
        assert.equal(records[0].attested, false);
      });

      it('in block mode, the unattested job queued behind an attested one is blocked', async () => {
        useGuard({ mode: 'block', networkBackstop: false });
        const enqueue = make();
        const attested = attest(() => enqueue(chat))();
        const unattested = enqueue(chat);
        await attested;
        await assert.rejects(unattested, MimaAttestationError);
        assert.equal((await readRecords()).filter((r) => r.blocked).length, 1);
      });

      it('an attested job queued behind an unattested one is not reported', async () => {
        const enqueue = make();
        const unattested = enqueue(chat);
        const attested = attest(() => enqueue(chat))();
        const unattestedAgain = enqueue(chat);
        await Promise.all([unattested, attested, unattestedAgain]);
        assert.equal((await readRecords()).length, 2, 'the two unattested jobs only');
      });

      it("only the flag is carried: the job's other context is the one the queue runs it in", async () => {
        const enqueue = make();
        const appStore = new AsyncLocalStorage<string>();
        const seen: (string | undefined)[] = [];
        const job = () => {
          seen.push(appStore.getStore());
          return chat();
        };
        const first = appStore.run(
          'first enqueuer',
          attest(() => enqueue(job)),
        );
        const second = appStore.run('second enqueuer', () => enqueue(job));
        await Promise.all([first, second]);
        // This queue starts the second job from the first one's continuation, with or without the guard.
        assert.deepEqual(seen, ['first enqueuer', 'first enqueuer']);
        assert.equal((await readRecords()).length, 1);
      });
    });
  }

  for (const [name, make] of [...hookedQueues, ...otherQueues]) {
    describe(`${name}: the remedies`, () => {
      it('with each job bound to its enqueuer (AsyncResource.bind), only the unattested job is reported', async () => {
        const enqueue = make();
        const bound: Enqueue = (job) => enqueue(AsyncResource.bind(job));
        const attested = attest(() => bound(chat))();
        const unattested = bound(chat);
        const attestedAgain = attest(() => bound(chat))();
        await Promise.all([attested, unattested, attestedAgain]);
        assert.equal((await readRecords()).length, 1);
      });

      it('an attested job (attest at the job) is attested wherever the queue starts it', async () => {
        const enqueue = make();
        const first = enqueue(chat);
        const attestedJob = enqueue(attest(chat));
        await Promise.all([first, attestedJob]);
        assert.equal((await readRecords()).length, 1, 'only the unattested first job');
      });
    });
  }

  for (const [name, make] of otherQueues) {
    it(`${name}: an unattested job queued behind an attested one gets its flag (the limitation the README names)`, async () => {
      const enqueue = make();
      const attested = attest(() => enqueue(chat))();
      const unattested = enqueue(chat);
      await Promise.all([attested, unattested]);
      assert.deepEqual(await readRecords(), [], 'the second job ran in the context of the first');
    });
  }

  it("an ES module app with an OTel context manager (--import register): jobs keep their enqueuer's flag, not its span", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mima-queues-'));
    try {
      const app = path.join(FIXTURES, 'queues', 'app.mjs');
      const guarded = JSON.parse(
        runRegisteredApp(app, [], { mode: 'block', logFile: path.join(dir, 'guard_log.jsonl'), quiet: true }),
      ) as Record<string, Record<string, { outcomes: string[]; spans: string[] }>>;
      // The same app without the guard: the spans its queues run the jobs under.
      const plain = JSON.parse(execFileSync(process.execPath, [app], { encoding: 'utf8' })) as typeof guarded;
      for (const queue of ['p-limit', 'p-queue']) {
        assert.deepEqual(guarded[queue].attestedFirst.outcomes, ['ok', 'MimaAttestationError'], queue);
        assert.deepEqual(guarded[queue].unattestedFirst.outcomes, ['MimaAttestationError', 'ok'], queue);
        assert.deepEqual(guarded[queue].attestedFirst.spans, plain[queue].attestedFirst.spans, queue);
        assert.deepEqual(guarded[queue].unattestedFirst.spans, plain[queue].unattestedFirst.spans, queue);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("p-limit's limiter keeps its own properties through the hook", async () => {
    const pLimit = require('p-limit') as (n: number) => ((job: Job) => Promise<unknown>) & {
      activeCount: number;
      pendingCount: number;
      clearQueue(): void;
    };
    const limit = pLimit(1);
    const first = limit(() => new Promise((resolve) => setTimeout(resolve, 10)));
    void limit(() => Promise.resolve());
    await Promise.resolve();
    assert.deepEqual([limit.activeCount, limit.pendingCount], [1, 1]);
    limit.clearQueue();
    assert.equal(limit.pendingCount, 0);
    await first;
  });

  it('a queue whose enqueue point moved is left as it is, and said to be unhooked', () => {
    const hooks = queueModuleDefinitions();
    const pQueue = hooks.find((definition) => definition.name === 'p-queue')!;
    const moved = { default: class {} };
    assert.equal(pQueue.patch!(moved, '99.0.0'), moved);
    const problem = guardProblems().find((p) => p.code === 'MIMA_GUARD_QUEUE_UNHOOKED');
    assert.match(
      problem?.message ?? '',
      /^p-queue 99\.0\.0 does not have add on its default export's prototype/,
    );
  });

  it('a batcher (DataLoader style) runs its batch with the flag of the load that scheduled it', async () => {
    const batcher = (batch: (keys: string[]) => Promise<unknown>) => {
      let pending: string[] = [];
      return (key: string) => {
        pending.push(key);
        if (pending.length > 1) return;
        process.nextTick(() => {
          const keys = pending;
          pending = [];
          void batch(keys);
        });
      };
    };
    const done: Promise<unknown>[] = [];
    const load = batcher((keys) => {
      const call = chat().then(() => keys);
      done.push(call);
      return call;
    });
    attest(() => load('attested'))();
    load('unattested');
    await new Promise((resolve) => setImmediate(resolve));
    await Promise.all(done);
    assert.deepEqual(await readRecords(), [], 'one call for both, attested by the first load');
    load('unattested');
    attest(() => load('attested'))();
    await new Promise((resolve) => setImmediate(resolve));
    await Promise.all(done);
    assert.equal((await readRecords()).length, 1, 'one call for both, reported by the first load');
  });

  it('a setInterval started in attested code stays attested after the function returned', async () => {
    let ticks = 0;
    await new Promise<void>((resolve, reject) => {
      attest(() => {
        const timer = setInterval(() => {
          chat().then(() => {
            if (++ticks === 2) {
              clearInterval(timer);
              resolve();
            }
          }, reject);
        }, 10);
      })();
    });
    assert.deepEqual(await readRecords(), []);
  });
});
