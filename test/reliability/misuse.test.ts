import * as assert from 'node:assert/strict';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { attest, disableGuard, getGuardStatus, MimaGuardInstrumentation } from '../../src';
import { allPatches, isGuardWrapper } from '../../src/app/patch';
import { LOG_FILE, readRecords, clearRecords, SOCKET_PATH, useGuard } from '../helpers/guard';
import { countingReply } from '../helpers/mock-http';
import {
  BASE_URL,
  chatCompletion,
  loadOpenAI,
  makeClient,
  runsOnThisNode,
  userMessage,
  type OpenAIClient,
  type OpenAIModule,
} from '../helpers/openai';
import {
  ANTHROPIC_URL,
  loadAnthropic,
  messageBody,
  messageReply,
  type AnthropicClient,
} from '../helpers/anthropic';
import { isolateSdkTests } from '../helpers/sdk-suite';

const HOST = new URL(BASE_URL).origin;
const ORIGINAL = Symbol.for('@mima-governance/instrumentation-guard.original');

type Create = (body: object) => Promise<{ choices: Array<{ message: { content: string | null } }> }>;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

/**
 * The shape's call, unattested then attested: one record, then none; the reply unchanged both times
 * and the request really sent both times.
 */
async function onceUnattestedNoneAttested(
  call: () => Promise<string>,
  callSite: string,
  mock: () => { requests: number },
) {
  await clearRecords();
  const unattested = mock();
  assert.equal(await call(), 'hello');
  assert.equal(unattested.requests, 1);
  const records = await readRecords();
  assert.equal(records.length, 1, `one record: ${JSON.stringify(records)}`);
  assert.equal(records[0].call_site, callSite);
  await clearRecords();
  const attested = mock();
  assert.equal(await attest(call)(), 'hello');
  assert.equal(attested.requests, 1);
  assert.deepEqual(await readRecords(), [], 'attested: no record');
}

const mockChat = () => countingReply(HOST, '/v1/chat/completions', () => chatCompletion());
const body = () => ({ model: 'gpt-test', messages: userMessage });
const text = (reply: { choices: Array<{ message: { content: string | null } }> }) =>
  reply.choices[0].message.content ?? '';

describe('reliability: misuse and odd shapes', () => {
  let openai: OpenAIModule;
  let client: OpenAIClient;

  before(() => {
    openai = loadOpenAI(6);
    client = makeClient(openai);
  });

  isolateSdkTests();
  beforeEach(() => useGuard({ mode: 'warn' }));

  describe('openai client shapes', () => {
    it('a user subclass of the client (class MyClient extends OpenAI)', async () => {
      class MyClient extends openai.OpenAI {
        extra(): string {
          return 'mine';
        }
      }
      const mine = new MyClient({ apiKey: 'k', baseURL: BASE_URL, maxRetries: 0 });
      assert.equal(mine.extra(), 'mine');
      await onceUnattestedNoneAttested(
        async () => text(await mine.chat.completions.create(body())),
        'openai.OpenAI.chat',
        mockChat,
      );
    });

    it('a client wrapped in a Proxy (a logging or mocking layer)', async () => {
      const seen: PropertyKey[] = [];
      const proxied = new Proxy(client, {
        get(target, key, receiver) {
          seen.push(key);
          return Reflect.get(target, key, receiver) as unknown;
        },
      });
      await onceUnattestedNoneAttested(
        async () => text(await proxied.chat.completions.create(body())),
        'openai.OpenAI.chat',
        mockChat,
      );
      assert.ok(seen.includes('chat'), 'the calls went through the Proxy');
    });

    it('create called through call() and apply(), and detached then called with call()', async () => {
      const completions = client.chat.completions;
      const create = completions.create as unknown as Create;
      const ways: Array<[string, () => Promise<string>]> = [
        ['call', async () => text(await create.call(completions, body()))],
        ['apply', async () => text(await create.apply(completions, [body()]))],
        ['detached + call', async () => text(await Reflect.apply(create, completions, [body()]))],
        ['bound', async () => text(await create.bind(completions)(body()))],
      ];
      for (const [, way] of ways) await onceUnattestedNoneAttested(way, 'openai.OpenAI.chat', mockChat);
    });

    it('a deeply frozen request body', async () => {
      const frozen = deepFreeze(body());
      assert.ok(Object.isFrozen(frozen.messages[0]));
      await onceUnattestedNoneAttested(
        async () => text(await client.chat.completions.create(frozen)),
        'openai.OpenAI.chat',
        mockChat,
      );
    });
  });

  describe('anthropic client shapes (another Stainless SDK)', () => {
    let anthropic: AnthropicClient;
    const mockMessages = () => countingReply(ANTHROPIC_URL, '/v1/messages', () => messageReply());
    const reply = (message: { content: Array<{ text?: string }> }) => message.content[0].text ?? '';

    before(() => {
      const mod = loadAnthropic('1');
      class MyAnthropic extends (mod.Anthropic as unknown as new (options: object) => AnthropicClient) {}
      anthropic = new MyAnthropic({ apiKey: 'k', baseURL: ANTHROPIC_URL, maxRetries: 0 });
    });

    it('a subclass, a Proxy, a detached method and a frozen body', async () => {
      const proxied = new Proxy(anthropic, {});
      const create = anthropic.messages.create as unknown as (
        b: object,
      ) => Promise<{ content: Array<{ text?: string }> }>;
      const frozen = deepFreeze({ ...messageBody, messages: [{ role: 'user', content: 'hi' }] });
      const ways: Array<() => Promise<string>> = [
        async () => reply(await anthropic.messages.create(messageBody)),
        async () => reply(await proxied.messages.create(messageBody)),
        async () => reply(await create.call(anthropic.messages, messageBody)),
        async () => reply(await anthropic.messages.create(frozen as typeof messageBody)),
      ];
      for (const way of ways)
        await onceUnattestedNoneAttested(way, 'anthropic.Anthropic.messages', mockMessages);
    });
  });

  describe('two openai majors in one process (as npm nests them)', () => {
    const majors = [4, 5, 6, 7].filter(runsOnThisNode);

    it(`patches each of openai ${majors.join(', ')}: one record per unattested call, none attested`, async () => {
      const clients = majors.map((major) => [major, makeClient(loadOpenAI(major))] as const);
      for (const [major, each] of clients) {
        await onceUnattestedNoneAttested(
          async () => text(await (each.chat.completions.create as unknown as Create)(body())),
          'openai.OpenAI.chat',
          mockChat,
        );
        const versions = getGuardStatus()
          .sdks.find((sdk) => sdk.module === 'openai')!
          .patches.filter((patch) => patch.active)
          .map((patch) => patch.version.split('.')[0]);
        assert.ok(versions.includes(String(major)), `openai ${major} is patched: ${versions.join(', ')}`);
      }
    });
  });

  describe('enableGuard and registerInstrumentations together, and enable/disable cycles', () => {
    /** Every patch of this prototype's methodRequest, and what is installed there now. */
    function wrappedOnce(proto: object): void {
      const installed = (proto as { methodRequest: Record<symbol, unknown> }).methodRequest;
      assert.ok(isGuardWrapper(installed), 'the method is wrapped');
      assert.ok(!isGuardWrapper(installed[ORIGINAL]), 'once: the wrapper wraps the original, not a wrapper');
      assert.equal(allPatches().filter((p) => p.owner === proto && p.method === 'methodRequest').length, 1);
    }

    async function oneRecordPerCall(calls: number): Promise<void> {
      await clearRecords();
      const seen = countingReply(HOST, '/v1/chat/completions', () => chatCompletion(), { times: calls });
      for (let i = 0; i < calls; i++)
        assert.equal(text(await client.chat.completions.create(body())), 'hello');
      assert.equal(seen.requests, calls);
      assert.equal((await readRecords()).length, calls, 'one record per call, never two');
    }

    it('one record per call and one wrapper through three enable/disable/enable cycles of both APIs', async () => {
      const proto = openai.OpenAI.prototype;
      for (let cycle = 0; cycle < 3; cycle++) {
        useGuard({ mode: 'warn' });
        const other = new MimaGuardInstrumentation({
          mode: 'report',
          logFile: LOG_FILE,
          socketPath: SOCKET_PATH,
        });
        const unregister = registerInstrumentations({ instrumentations: [other] });
        try {
          // Both enabled: the newest's configuration is in force, the patch is shared.
          wrappedOnce(proto);
          await oneRecordPerCall(3);
          // A second enableGuard() is a reconfiguration, not a second patch.
          useGuard({ mode: 'warn' });
          wrappedOnce(proto);
          await oneRecordPerCall(2);
        } finally {
          unregister();
          await other.whenClosed();
        }
        wrappedOnce(proto);
        await oneRecordPerCall(2);
        await disableGuard();
        const before = (await readRecords()).length;
        const methods = proto as unknown as { methodRequest: unknown };
        assert.ok(!isGuardWrapper(methods.methodRequest), 'disabled: the original is back');
        mockChat();
        assert.equal(text(await client.chat.completions.create(body())), 'hello');
        assert.equal((await readRecords()).length, before, 'disabled: no record');
      }
      useGuard({ mode: 'warn' });
      wrappedOnce(proto);
      await oneRecordPerCall(2);
    });
  });
});
