import * as assert from 'node:assert/strict';
import type * as fs from 'node:fs';
import * as path from 'node:path';
import nock from 'nock';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { attest, disableGuard, getGuardStatus, MimaAttestationError, MimaGuardInstrumentation } from '../src';
import { isGuardWrapper } from '../src/app/patch';
import { captureDiag } from './helpers/diag';
import { clearRecords, LOG_FILE, readRecords, ROOT, useGuard } from './helpers/guard';
import { requireMovedCopy } from './helpers/moved-copy';
import {
  BASE_URL,
  chatCompletion,
  loadOpenAI,
  makeClient,
  userMessage,
  type OpenAIModule,
} from './helpers/openai';

const HOST = new URL(BASE_URL).origin;

describe('MimaGuardInstrumentation', () => {
  let openai: OpenAIModule;

  before(() => {
    openai = loadOpenAI(6);
  });

  beforeEach(async () => {
    nock.cleanAll();
    await clearRecords();
  });

  after(() => useGuard({ mode: 'warn' }));

  it('disableGuard restores the original method; the SDK then behaves as unpatched', async () => {
    useGuard({ mode: 'block' });
    const proto = openai.OpenAI.prototype as unknown as Record<string, unknown>;
    assert.ok(isGuardWrapper(proto.methodRequest));
    await disableGuard();
    assert.ok(!isGuardWrapper(proto.methodRequest), 'the original is back');
    assert.equal(getGuardStatus().enabled, false);
    const scope = nock(HOST).post('/v1/chat/completions').reply(200, chatCompletion());
    await makeClient(openai).chat.completions.create({ model: 'gpt-test', messages: userMessage });
    assert.ok(scope.isDone(), 'an unattested call went through with the guard disabled');
    assert.deepEqual(await readRecords(), []);
    useGuard({ mode: 'block' });
    assert.ok(isGuardWrapper(proto.methodRequest), 'enableGuard patches again');
  });

  it('a second enableGuard reconfigures and never double-patches', async () => {
    const first = useGuard({ mode: 'warn' });
    const second = useGuard({ mode: 'block' });
    assert.equal(first, second);
    const proto = openai.OpenAI.prototype as unknown as Record<string, { [k: symbol]: unknown }>;
    const wrapper = proto.methodRequest;
    const original = wrapper[Symbol.for('@mima-governance/instrumentation-guard.original')];
    assert.ok(!isGuardWrapper(original), 'the wrapper wraps the original, not another wrapper');
    await assert.rejects(
      makeClient(openai).chat.completions.create({ model: 'gpt-test', messages: userMessage }),
      MimaAttestationError,
    );
    assert.equal((await readRecords()).length, 1, 'one record per call');
  });

  it('a second instance (registerInstrumentations) shares the patch and does not double-report', async () => {
    useGuard({ mode: 'block' });
    const other = new MimaGuardInstrumentation({ mode: 'report', enabled: false, logFile: LOG_FILE });
    const unregister = registerInstrumentations({ instrumentations: [other] });
    try {
      assert.ok(other.isEnabled());
      nock(HOST).post('/v1/chat/completions').reply(200, chatCompletion());
      await makeClient(openai).chat.completions.create({ model: 'gpt-test', messages: userMessage });
      const records = await readRecords();
      assert.equal(records.length, 1);
      assert.equal(records[0].mode, 'report', 'the newest enabled instance is in force');
    } finally {
      unregister();
    }
    assert.ok(!other.isEnabled());
    assert.equal(getGuardStatus().enabled, true, 'the first instance keeps guarding');
    await assert.rejects(
      makeClient(openai).chat.completions.create({ model: 'gpt-test', messages: userMessage }),
      MimaAttestationError,
    );
  });

  it('gives one record per unattested call, with its call site, across hundreds of interleaved tasks', async () => {
    useGuard({ mode: 'report' });
    nock(HOST).persist().post('/v1/chat/completions').reply(200, chatCompletion());
    nock(HOST)
      .persist()
      .post('/v1/embeddings')
      .reply(200, { object: 'list', data: [], model: 'e', usage: {} });
    const client = makeClient(openai);
    const tasks = Array.from({ length: 300 }, (_, i) => {
      const call = async () => {
        await new Promise((resolve) => setTimeout(resolve, i % 5));
        return i % 3 === 0
          ? client.embeddings.create({ model: 'e', input: 'x' })
          : client.chat.completions.create({ model: 'gpt-test', messages: userMessage });
      };
      return i % 2 === 0 ? attest(call)() : call();
    });
    await Promise.all(tasks);
    const records = await readRecords();
    const expected = Array.from({ length: 300 }, (_, i) => i).filter((i) => i % 2 === 1);
    assert.equal(records.length, expected.length);
    const count = (site: string) => records.filter((r) => r.call_site === site).length;
    assert.equal(count('openai.OpenAI.embeddings'), expected.filter((i) => i % 3 === 0).length);
    assert.equal(count('openai.OpenAI.chat'), expected.filter((i) => i % 3 !== 0).length);
    assert.equal(new Set(records.map((r) => r.id)).size, records.length, 'ids are unique');
  });

  it('getGuardStatus names the mode, the report file and each patched copy', () => {
    useGuard({ mode: 'block' });
    const status = getGuardStatus();
    assert.equal(status.enabled, true);
    assert.equal(status.mode, 'block');
    const sdk = status.sdks.find((s) => s.module === 'openai');
    assert.ok(sdk);
    assert.equal(sdk.supportedVersions, '>=4.0.0 <8');
    const patch = sdk.patches.find(
      (p) =>
        p.version === require(path.join(path.dirname(require.resolve('openai')), 'package.json')).version,
    );
    assert.deepEqual(patch, {
      version: patch!.version,
      patchPoint: 'client.js#OpenAI.methodRequest|request|requestAPIList|getAPIList',
      active: true,
    });
  });

  it('warns once, naming package and version, for an openai below the supported range', async () => {
    let loaded: unknown;
    const messages = await captureDiag(() => {
      loaded = require(
        require.resolve('openai', { paths: [path.join(ROOT, 'test', 'versions', 'openai-3')] }),
      );
    });
    assert.ok(loaded, 'the app still gets the module');
    const warnings = messages.filter((m) => m.includes('openai 3.'));
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0],
      /openai 3\.\d+\.\d+ is outside the versions the guard supports \(>=4\.0\.0 <8\)/,
    );
    const status = getGuardStatus().sdks.find((s) => s.module === 'openai')!;
    assert.ok(status.patches.some((p) => p.version.startsWith('3.') && !p.active && p.problem));
  });

  it("reads a hooked package's package.json once, not once per file it loads (start-up cost)", async () => {
    // The base class looked the version up for every file of a package whose internals are
    // hooked: openai loads about 150, which was 4 ms of every process's start-up.
    const internals = Array.from({ length: 20 }, (_, i) => `part${i}.js`);
    const reads: string[] = [];
    // The module object itself (an `import *` is a read-only copy): the base class reads through it.
    const nodeFs = require('node:fs') as typeof fs;
    const readFileSync = nodeFs.readFileSync;
    const counting = function (this: unknown, file: fs.PathOrFileDescriptor, ...rest: unknown[]) {
      if (String(file).endsWith(path.join('openai', 'package.json'))) reads.push(String(file));
      return (readFileSync as (...a: unknown[]) => unknown).call(this, file, ...rest);
    };
    (nodeFs as { readFileSync: unknown }).readFileSync = counting;
    try {
      const { exports } = await requireMovedCopy('openai', '5.99.1', {
        ...Object.fromEntries(internals.map((file) => [file, 'exports.part = true;\n'])),
        'client.js':
          'class OpenAI { methodRequest() { return "sent"; } request() { return "sent"; } }\nexports.OpenAI = OpenAI;\n',
        'index.js': `${internals.map((file) => `require("./${file}");`).join('\n')}\nmodule.exports = require("./client.js");\n`,
      });
      const client = new (exports as { OpenAI: new () => object }).OpenAI();
      assert.ok(
        isGuardWrapper((client as Record<string, unknown>).methodRequest),
        'client.js is still patched',
      );
    } finally {
      (nodeFs as { readFileSync: unknown }).readFileSync = readFileSync;
    }
    assert.equal(reads.length, 1, `package.json read ${reads.length} times`);
  });

  it('warns, naming package and version, when the patch point has moved, and the call still goes through', async () => {
    // A copy of the openai 5 layout whose client class no longer has methodRequest.
    const { exports, warnings } = await requireMovedCopy('openai', '5.99.0', {
      'client.js':
        'class OpenAI { request(path) { return Promise.resolve("sent " + path); } }\nexports.OpenAI = OpenAI;\n',
      'index.js': 'module.exports = require("./client.js");\n',
    });
    const moved = exports as { OpenAI: new () => { request(p: string): Promise<string> } };
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0],
      /patch point client\.js#OpenAI\.methodRequest\|request\|requestAPIList\|getAPIList not found in openai 5\.99\.0/,
    );
    assert.equal(await new moved.OpenAI().request('/chat'), 'sent /chat');
  });
});
