import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as semver from 'semver';
import { attest, disableGuard, MimaGovernance, withAttested } from '../src';
import { uncoveredCallsRan } from '../src/app/attestation';
import { activeGuard } from '../src/app/guard';
import { HTTP_CHANNEL, networkBackstopSubscribed } from '../src/app/network/backstop';
import { DEFAULT_NETWORK_HOSTS, HostMatcher } from '../src/app/network/hosts';
import { captureDiag } from './helpers/diag';
import { FIXTURES, runRegisteredApp } from './helpers/esm-app';
import { captureWarnings, clearRecords, readRecords, SOCKET_PATH, useGuard } from './helpers/guard';
import { parseLogRecords } from './helpers/log-lines';
import { chatCompletion, type OpenAIModule } from './helpers/openai';
import { tempDir as makeTempDir } from './helpers/temp-dir';

const SECRET = 'SECRET-QUERY-4d1e';

/** Node publishes http.client.request.created in the caller's stack from 22.12 / 23.2 on. */
const HTTP_HAS_CALLER_FRAME = semver.satisfies(process.versions.node, '^22.12.0 || >=23.2.0');

describe('network backstop (diagnostics_channel)', () => {
  let server: http.Server;
  let port: number;
  let requests = 0;
  let openai: OpenAIModule;

  /** The stand-in AI host: 127.0.0.1 on the server's port, through the host list. */
  const standIn = () => `127.0.0.1:${port}`;
  const url = (pathname = '/v1/chat/completions') => `http://127.0.0.1:${port}${pathname}?key=${SECRET}`;
  const guard = (config: Parameters<typeof useGuard>[0] = {}) =>
    useGuard({ mode: 'report', networkHosts: [standIn()], ...config });

  const rawFetch = (target = url()) =>
    fetch(target, { method: 'POST', body: '{"prompt":"hi"}' }).then((r) => r.text());

  const rawHttp = (target = url()) =>
    new Promise<string>((resolve, reject) => {
      const request = http.request(target, { method: 'POST' }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve(body));
      });
      request.on('error', reject);
      request.end('{"prompt":"hi"}');
    });

  const makeClient = () =>
    new openai.OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'k', maxRetries: 0 });
  const chat = (client: InstanceType<OpenAIModule['OpenAI']>) =>
    client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });

  before(async () => {
    server = http.createServer((request, response) => {
      requests++;
      request.resume();
      request.on('end', () => {
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify(chatCompletion()));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    useGuard();
    // openai 6, installed at the root; required after the guard so that its hooks patch it.
    openai = require('openai') as OpenAIModule;
    // The guard's own store exists, as in an app that attests (an app that only wraps clients,
    // without one, is the last child-process case below).
    withAttested(() => undefined);
    assert.equal(
      uncoveredCallsRan(),
      false,
      'a wrap() client call ran in this process before anything could carry its cover: the backstop is muted',
    );
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    useGuard();
  });

  beforeEach(async () => {
    guard();
    await clearRecords();
    requests = 0;
  });

  it('reports a raw fetch to a listed host once, as net.<host>, at the caller, without path or query', async () => {
    assert.equal(await rawFetch(), JSON.stringify(chatCompletion()));
    const records = await readRecords();
    assert.equal(records.length, 1);
    const [record] = records;
    assert.equal(record.call_site, 'net.127.0.0.1');
    assert.equal(record.mode, 'report');
    assert.equal(record.blocked, false);
    assert.match(record.code_file ?? '', /network-backstop\.test\.(js|ts)$/);
    assert.ok((record.code_line ?? 0) > 0);
    const line = JSON.stringify(record);
    assert.ok(!line.includes(SECRET) && !line.includes('/v1/') && !line.includes('prompt'), line);
  });

  it('reports a raw http.request to a listed host once', async () => {
    await rawHttp();
    assert.equal(requests, 1);
    const records = await readRecords();
    assert.deepEqual(
      records.map((r) => r.call_site),
      ['net.127.0.0.1'],
    );
    // Before Node 22.12 the start message comes on a later tick: no caller frame on the stack.
    if (HTTP_HAS_CALLER_FRAME) assert.match(records[0].code_file ?? '', /network-backstop\.test\.(js|ts)$/);
    else assert.equal(records[0].code_file, null);
    assert.ok(!JSON.stringify(records[0]).includes(SECRET));
    assert.equal(
      HTTP_CHANNEL,
      HTTP_HAS_CALLER_FRAME ? 'http.client.request.created' : 'http.client.request.start',
    );
  });

  it('does not report requests made inside attest(), after an await too', async () => {
    await attest(async () => {
      await rawFetch();
      await new Promise((resolve) => setImmediate(resolve));
      await rawHttp();
    })();
    assert.equal(requests, 2);
    assert.deepEqual(await readRecords(), []);
  });

  it('reports an unattested openai call once, as the SDK call, not again as net.<host>', async () => {
    const warnings = captureWarnings();
    try {
      guard({ mode: 'warn' });
      const reply = await chat(makeClient());
      assert.equal(reply.choices[0].message.content, 'hello');
      await warnings.settle();
    } finally {
      warnings.stop();
    }
    assert.equal(requests, 1);
    assert.deepEqual(
      (await readRecords()).map((r) => r.call_site),
      ['openai.OpenAI.chat'],
    );
    assert.equal(warnings.warnings.length, 1);
    assert.match(warnings.warnings[0].message, /openai\.OpenAI\.chat/);
  });

  it('covers only the SDK call: a raw fetch after it is reported', async () => {
    await chat(makeClient());
    await rawFetch();
    assert.deepEqual(
      (await readRecords()).map((r) => r.call_site),
      ['openai.OpenAI.chat', 'net.127.0.0.1'],
    );
  });

  it('does not report an attested openai call, nor a call through a MimaGovernance.wrap() client', async () => {
    const client = makeClient();
    await attest(() => chat(client))();
    const wrapped = new MimaGovernance({ systemName: 'test' }).wrap(makeClient());
    await chat(wrapped);
    await chat(wrapped);
    assert.equal(requests, 3);
    assert.deepEqual(await readRecords(), []);
  });

  it('leaves hosts off the list alone', async () => {
    // The same server under another name: localhost is not listed.
    await rawFetch(`http://localhost:${port}/v1/chat/completions`);
    await rawHttp(`http://localhost:${port}/v1/chat/completions`);
    assert.equal(requests, 2);
    assert.deepEqual(await readRecords(), []);
    assert.equal(activeGuard()?.networkHosts?.match(`localhost:${port}`), undefined);
  });

  it('warns in warn mode with the call site and the caller, never the path or query', async () => {
    guard({ mode: 'warn', warnOnce: false });
    const warnings = captureWarnings();
    try {
      await rawFetch();
      await warnings.settle();
    } finally {
      warnings.stop();
    }
    assert.equal(warnings.warnings.length, 1);
    const [warning] = warnings.warnings;
    assert.match(
      warning.message,
      /^Unattested AI call net\.127\.0\.0\.1 at \S*network-backstop\.test\.(js|ts):\d+ runs outside attest\(\)\. Wrap the function that makes it in attest\(\) to attest it\.$/,
    );
    assert.ok(!warning.message.includes(SECRET));
    assert.equal((await readRecords())[0].mode, 'warn');
  });

  it('in block mode lets the request through, reports it with blocked: false and warns that it was not blocked', async () => {
    guard({ mode: 'block' });
    const warnings = captureWarnings();
    let body: string;
    try {
      body = await rawFetch();
      await rawHttp();
      await warnings.settle();
    } finally {
      warnings.stop();
    }
    assert.equal(body, JSON.stringify(chatCompletion()));
    assert.equal(requests, 2);
    const records = await readRecords();
    assert.deepEqual(
      records.map((r) => [r.call_site, r.mode, r.blocked]),
      [
        ['net.127.0.0.1', 'block', false],
        ['net.127.0.0.1', 'block', false],
      ],
    );
    assert.ok(warnings.warnings.length >= 1);
    assert.ok(
      warnings.warnings.every((w) =>
        w.message.endsWith('It was not blocked: the guard sees it only on the network.'),
      ),
    );
  });

  it('still blocks an unattested SDK call in block mode, with no request and no net.<host> record', async () => {
    guard({ mode: 'block' });
    await assert.rejects(chat(makeClient()), { name: 'MimaAttestationError' });
    assert.equal(requests, 0);
    assert.deepEqual(
      (await readRecords()).map((r) => [r.call_site, r.blocked]),
      [['openai.OpenAI.chat', true]],
    );
  });

  it('unsubscribes on disableGuard and with networkBackstop: false', async () => {
    assert.equal(networkBackstopSubscribed(), true);
    guard({ networkBackstop: false });
    assert.equal(networkBackstopSubscribed(), false);
    await rawFetch();
    assert.deepEqual(await readRecords(), []);

    guard();
    assert.equal(networkBackstopSubscribed(), true);
    await disableGuard();
    assert.equal(networkBackstopSubscribed(), false);
    await rawFetch();
    await rawHttp();
    assert.equal(requests, 3);
    guard();
    assert.deepEqual(await readRecords(), []);
  });

  it('follows a reconfiguration of the host list', async () => {
    guard({ networkHosts: [] });
    await rawFetch();
    assert.deepEqual(await readRecords(), []);
    guard({ networkHosts: ['127.0.0.1'] });
    await rawFetch();
    assert.deepEqual(
      (await readRecords()).map((r) => r.call_site),
      ['net.127.0.0.1'],
    );
  });

  it('never breaks the request when the guard itself fails', async () => {
    const runtime = activeGuard()!;
    const original = runtime.checkRequest.bind(runtime);
    runtime.checkRequest = () => {
      throw new Error('guard fault');
    };
    let uncaught: unknown;
    const onUncaught = (error: unknown) => (uncaught = error);
    process.prependListener('uncaughtException', onUncaught);
    try {
      const messages = await captureDiag(async () => {
        assert.equal(await rawFetch(), JSON.stringify(chatCompletion()));
        await rawHttp();
        await new Promise((resolve) => setImmediate(resolve));
      });
      assert.equal(messages.length, 2);
      assert.match(messages[0], /network backstop failed on a fetch request; the request goes on/);
      assert.match(messages[1], /network backstop failed on an http request; the request goes on/);
    } finally {
      process.removeListener('uncaughtException', onUncaught);
      runtime.checkRequest = original;
    }
    assert.equal(uncaught, undefined);
    assert.equal(requests, 2);
  });

  describe('in an ES module app (its own process)', () => {
    const app = path.join(FIXTURES, 'network', 'app.mjs');
    const fetchLine =
      fs
        .readFileSync(app, 'utf8')
        .split('\n')
        .findIndex((l) => l.endsWith('// raw fetch')) + 1;

    function runApp(scenario: string) {
      const logFile = path.join(makeTempDir('mima-net-'), 'guard_log.jsonl');
      const output = runRegisteredApp(app, [scenario], {
        logFile,
        mode: 'report',
        quiet: true,
        env: { MIMA_GUARD_NETWORK_HOSTS: '127.0.0.1', MIMA_DAEMON_SOCKET: SOCKET_PATH },
      });
      const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
      assert.ok(!log.includes('SECRET'));
      const records = parseLogRecords<{ call_site: string; code_file: string; code_line: number }>(log);
      const result = JSON.parse(output) as { requests: number; ownStoreCreated: boolean; warnings: string[] };
      return { ...result, records };
    }

    const netRecord = ['net.127.0.0.1', path.relative(process.cwd(), app), fetchLine];
    /** The raw fetch is a call no patch checks: said once (MIMA_GUARD_UNPATCHED_REQUEST). */
    const UNPATCHED_REQUEST_WARNING =
      '@mima-governance/instrumentation-guard a request to an AI API (net.127.0.0.1) was made outside any SDK call the guard patched: it is recorded, but such calls are not checked and never blocked. getGuardStatus() lists the SDKs and whether each is patched';

    it("reports a raw fetch at its line, and neither an SDK call's request nor a wrapped client's", () => {
      const { requests, records, warnings } = runApp('sdk');
      assert.equal(requests, 4);
      assert.deepEqual(
        records.map((r) =>
          r.call_site.startsWith('net.') ? [r.call_site, r.code_file, r.code_line] : [r.call_site],
        ),
        [['openai.OpenAI.chat'], netRecord],
      );
      assert.deepEqual(warnings, [UNPATCHED_REQUEST_WARNING], 'only the raw fetch is a blind spot');
    });

    it('with an OTel context manager, covers a wrapped client through it, creating no store', () => {
      const { requests, records, ownStoreCreated, warnings } = runApp('otel');
      assert.equal(requests, 2);
      assert.deepEqual(
        records.map((r) => [r.call_site, r.code_file, r.code_line]),
        [netRecord],
      );
      assert.equal(ownStoreCreated, false);
      assert.deepEqual(warnings, [UNPATCHED_REQUEST_WARNING], 'only the raw fetch is a blind spot');
    });

    it("with nothing to carry a wrapped client's cover, creates no store and stays silent, saying why", () => {
      const { requests, records, ownStoreCreated, warnings } = runApp('wrap-only');
      assert.equal(requests, 2);
      assert.deepEqual(records, [], 'the wrapped call is not reported, nor (muted) the raw fetch');
      assert.equal(ownStoreCreated, false);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], /network backstop: requests to AI hosts are not reported in this process/);
    });
  });
});

describe('network backstop host list', () => {
  const defaults = new HostMatcher(DEFAULT_NETWORK_HOSTS.map(([entry]) => entry));

  it('knows the AI API hosts and their providers, in any case, with any port', () => {
    const cases: Array<[string, string | undefined]> = [
      ['api.openai.com', 'openai'],
      ['API.OpenAI.com', 'openai'],
      ['api.openai.com.', 'openai'],
      ['api.openai.com:8443', 'openai'],
      ['api.anthropic.com', 'anthropic'],
      ['generativelanguage.googleapis.com', 'gcp.gemini'],
      ['us-central1-aiplatform.googleapis.com', 'gcp.vertex_ai'],
      ['bedrock-runtime.us-east-1.amazonaws.com', 'aws.bedrock'],
      ['bedrock-runtime-fips.us-gov-west-1.amazonaws.com', 'aws.bedrock'],
      ['my-resource.openai.azure.com', 'azure.ai.openai'],
      ['api.mistral.ai', 'mistral_ai'],
      ['api.cohere.com', 'cohere'],
      ['api.groq.com', 'groq'],
      ['openai.com', undefined],
      ['eu.api.openai.com', undefined],
      ['bedrock-runtime.amazonaws.com', undefined],
      ['bedrock-runtime.a.b.amazonaws.com', undefined],
      ['bedrock.us-east-1.amazonaws.com', undefined],
      ['a.b.openai.azure.com', undefined],
      ['example.com', undefined],
      ['127.0.0.1:8080', undefined],
    ];
    for (const [authority, provider] of cases) {
      assert.equal(defaults.match(authority)?.provider, provider, authority);
    }
    assert.deepEqual(defaults.match('Bedrock-Runtime.eu-west-1.amazonaws.com:443'), {
      hostname: 'bedrock-runtime.eu-west-1.amazonaws.com',
      provider: 'aws.bedrock',
    });
  });

  it('matches an entry with a port on that port only, and IPv6 entries', () => {
    const matcher = new HostMatcher(['llm.internal:8080', '10.0.0.5', '[::1]:9000', 'gw-*.example.com']);
    assert.deepEqual(matcher.match('llm.internal:8080'), { hostname: 'llm.internal', provider: 'unknown' });
    assert.equal(matcher.match('llm.internal'), undefined);
    assert.equal(matcher.match('llm.internal:8081'), undefined);
    assert.equal(matcher.match('10.0.0.5:1234')?.hostname, '10.0.0.5');
    assert.equal(matcher.match('[::1]:9000')?.hostname, '[::1]');
    assert.equal(matcher.match('[::1]'), undefined);
    assert.equal(matcher.match('gw-eu.example.com')?.hostname, 'gw-eu.example.com');
    assert.equal(matcher.match('gw-.example.com'), undefined);
    assert.equal(matcher.match('gw-a.b.example.com'), undefined);
  });
});
