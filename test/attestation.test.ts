import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import { attest, isAttested, MimaGovernance, setAttested, withAttested } from '../src';
import { ROOT } from './helpers/guard';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('attestation', () => {
  it('is false outside attest() and true inside, sync and async', async () => {
    assert.equal(isAttested(), false);
    assert.equal(attest(() => isAttested())(), true);
    assert.equal(await attest(async () => isAttested())(), true);
    assert.equal(isAttested(), false);
  });

  it('follows await chains, timers and Promise.all', async () => {
    const seen = await attest(async () => {
      const results: boolean[] = [];
      await tick();
      results.push(isAttested());
      await sleep(1);
      results.push(isAttested());
      results.push(await new Promise<boolean>((resolve) => setTimeout(() => resolve(isAttested()), 1)));
      results.push(...(await Promise.all([1, 2, 3].map(async () => (await tick(), isAttested())))));
      return results;
    })();
    assert.deepEqual(seen, [true, true, true, true, true, true]);
    assert.equal(isAttested(), false);
  });

  it('does not leak into work started outside the attested function', async () => {
    let outside: boolean | undefined;
    const pending = new Promise<void>((resolve) =>
      setTimeout(() => {
        outside = isAttested();
        resolve();
      }, 5),
    );
    await attest(async () => sleep(10))();
    await pending;
    assert.equal(outside, false);
  });

  it('keeps hundreds of interleaved concurrent tasks isolated', async () => {
    const tasks = Array.from({ length: 400 }, (_, i) => {
      const body = async () => {
        await sleep(i % 7);
        const first = isAttested();
        await tick();
        return first && isAttested();
      };
      return i % 2 === 0 ? attest(body)() : body();
    });
    const results = await Promise.all(tasks);
    results.forEach((attested, i) => assert.equal(attested, i % 2 === 0, `task ${i}`));
  });

  it('attests an async generator on every next()', async () => {
    async function* produce() {
      for (let i = 0; i < 3; i++) {
        await tick();
        yield isAttested();
      }
    }
    const generator = attest(produce)();
    const seen: boolean[] = [];
    for await (const value of generator) {
      seen.push(value);
      assert.equal(isAttested(), false, 'the consumer stays unattested between steps');
    }
    assert.deepEqual(seen, [true, true, true]);
  });

  it('attests a sync generator on every next()', () => {
    function* produce() {
      yield isAttested();
      yield isAttested();
    }
    assert.deepEqual([...attest(produce)()], [true, true]);
  });

  it('works as a TC39 method decorator (TypeScript 5) and keeps this', async () => {
    class Classifier {
      label = 'c';
      @attest({ toolName: 'classify' })
      async classify() {
        await tick();
        return `${this.label}:${isAttested()}`;
      }
    }
    assert.equal(await new Classifier().classify(), 'c:true');
  });

  it('accepts attest(options, fn), attest(fn) and withAttested(fn)', () => {
    assert.equal(attest({ toolName: 't' }, () => isAttested())(), true);
    assert.equal(attest(() => isAttested())(), true);
    assert.equal(
      withAttested(() => isAttested()),
      true,
    );
  });

  it('keeps the wrapped function name and length', () => {
    function classify(_a: number, _b: number) {
      return 0;
    }
    const wrapped = attest(classify);
    assert.equal(wrapped.name, 'classify');
    assert.equal(wrapped.length, 2);
  });

  it('rejects bad input with a TypeError naming it', () => {
    assert.throws(
      () => attest({ tool: 'x' } as never),
      /Unknown attest\(\) option "tool"; accepted: toolName/,
    );
    assert.throws(() => attest({ toolName: 3 } as never), /toolName must be a string/);
    assert.throws(() => attest()(42 as never), TypeError);
    assert.throws(() => setAttested('yes' as never), /setAttested expects true or false/);
    assert.throws(() => new MimaGovernance({} as never), /systemName must be a non-empty string/);
    assert.throws(() => new MimaGovernance({ systemName: 's' }).wrap(7 as never), /wrap expects a function/);
  });

  it('MimaGovernance.attest and wrap attest a function', async () => {
    const mima = new MimaGovernance({ systemName: 'sys', apiKey: 'secret' });
    assert.equal(mima.attest()(() => isAttested())(), true);
    assert.equal(await mima.wrap(async () => isAttested())(), true);
    assert.equal(mima.hasApiKey, true);
    assert.ok(!JSON.stringify(mima).includes('secret'), 'the API key is not serialised');
  });

  it('setAttested affects only the current async context, as a ContextVar does', async () => {
    const sibling = async () => {
      await sleep(5);
      return isAttested();
    };
    // An async function runs in its caller's context until its first await, as Node defines
    // it; from there on it is its own task, the counterpart of an asyncio task.
    const setter = async () => {
      await tick();
      setAttested(true);
      await sleep(1);
      const inside = isAttested();
      setAttested(false);
      return inside;
    };
    const [setterSaw, siblingSaw] = await Promise.all([setter(), sibling()]);
    assert.equal(setterSaw, true);
    assert.equal(siblingSaw, false);
    assert.equal(isAttested(), false, 'the caller is not affected');
  });

  it('setAttested(false) inside attest() turns the flag off for what follows there', async () => {
    const seen = await attest(async () => {
      setAttested(false);
      await tick();
      return isAttested();
    })();
    assert.equal(seen, false);
  });

  it('isolates worker threads', async () => {
    const guardEntry = path.join(ROOT, 'build', 'src', 'index.js');
    const code = `
      const { parentPort } = require('node:worker_threads');
      const { isAttested, setAttested } = require(${JSON.stringify(guardEntry)});
      const before = isAttested();
      setAttested(true);
      parentPort.postMessage({ before, after: isAttested() });`;
    const seen = await attest(
      () =>
        new Promise<{ before: boolean; after: boolean }>((resolve, reject) => {
          const worker = new Worker(code, { eval: true });
          worker.once('message', resolve);
          worker.once('error', reject);
        }),
    )();
    assert.deepEqual(seen, { before: false, after: true });
    assert.equal(isAttested(), false, "the worker's setAttested does not reach this thread");
  });
});

describe('attestation store (own process per case: a store, once created, stays)', () => {
  const probe = path.join(ROOT, 'build', 'test', 'fixtures', 'store-probe.js');
  const run = (args: string[]) =>
    JSON.parse(execFileSync(process.execPath, [probe, ...args], { encoding: 'utf8' }));

  it('without an OTel context manager, attest() creates the store and the flag follows await', () => {
    assert.deepEqual(run([]), { storeBefore: false, attestedAfterAwait: true, storeAfter: true });
  });

  it('with the OTel context manager registered, attest() relies on it and creates no store', () => {
    assert.deepEqual(run(['--context-manager']), {
      storeBefore: false,
      attestedAfterAwait: true,
      storeAfter: false,
    });
  });
});
