import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { attest } from '../src';
import { ROOT, clearRecords, readRecords, useGuard } from './helpers/guard';
import { OPENAI_MAJORS, openaiEntry, runsOnThisNode } from './helpers/openai';
import { ANTHROPIC_VERSIONS } from './helpers/anthropic';
import { GROQ_DIR } from './helpers/groq';
import {
  ARGUMENT_SHAPES,
  clientHelpers,
  countingApi,
  immediate,
  publicSurface,
  settle,
  waitForEnd,
  type Outcome,
  type SurfaceMethod,
} from './helpers/surface';

/**
 * Issue "Never miss a call": list requests (`models.list()`), `vectorStores.search()`,
 * `client.getAPIList()` and `client.request()` reached the server unchecked, because the guard
 * patched only `methodRequest`. These tests walk the installed SDK's whole public request surface.
 */
interface Sdk {
  label: string;
  /** The SDK's entry file, resolved in its test/versions workspace. */
  entry: string;
  clientClass: string;
  /** Base URL suffix the SDK expects (groq puts /openai/v1 in its paths, openai's default has /v1). */
  chatPath: string;
  listPath: string;
  skip?: string;
}

const SDKS: Sdk[] = [
  ...OPENAI_MAJORS.map((major) => ({
    label: `openai ${major}`,
    entry: openaiEntry(major),
    clientClass: 'OpenAI',
    chatPath: '/chat/completions',
    listPath: '/models',
    skip: runsOnThisNode(major) ? undefined : 'openai 7 needs Node 22+',
  })),
  ...ANTHROPIC_VERSIONS.map((version) => ({
    label: `@anthropic-ai/sdk ${version}`,
    entry: require.resolve('@anthropic-ai/sdk', {
      paths: [path.join(ROOT, 'test', 'versions', `anthropic-${version}`)],
    }),
    clientClass: 'Anthropic',
    chatPath: '/v1/messages',
    listPath: '/v1/models',
  })),
  {
    label: 'groq-sdk 1',
    entry: require.resolve('groq-sdk', { paths: [GROQ_DIR] }),
    clientClass: 'Groq',
    chatPath: '/openai/v1/chat/completions',
    listPath: '/openai/v1/models',
  },
];

/** The SDK's plain Page class for client.getAPIList, where the version has one. */
function pageClass(entry: string): unknown {
  try {
    return (require(path.join(path.dirname(entry), 'pagination.js')) as { Page?: unknown }).Page;
  } catch {
    return undefined;
  }
}

const PENDING_MS = 1000;

for (const sdk of SDKS) {
  const describeSdk = sdk.skip ? describe.skip : describe;
  describeSdk(
    `${sdk.label}: every public request method is checked${sdk.skip ? ` (skipped: ${sdk.skip})` : ''}`,
    function () {
      this.timeout(600_000);
      let api: Awaited<ReturnType<typeof countingApi>>;
      let makeClient: (baseURL: string) => object;
      let surface: SurfaceMethod[];
      /** The argument shape with which each method reached the network when attested. */
      const reaching = new Map<string, unknown[]>();

      before(async () => {
        useGuard({ mode: 'block' });
        const mod = require(sdk.entry) as Record<string, new (o: object) => object>;
        makeClient = (baseURL) =>
          new mod[sdk.clientClass]({
            apiKey: 'test-key',
            // openai's admin.* resources send this key instead.
            adminAPIKey: 'test-admin-key',
            baseURL,
            maxRetries: 0,
            timeout: 5000,
          });
        api = await countingApi();
        surface = [
          ...publicSurface(makeClient('http://127.0.0.1:9/unused')),
          ...clientHelpers(sdk.chatPath, sdk.listPath, pageClass(sdk.entry)),
        ];
      });

      after(async () => {
        await api?.close();
        useGuard({ mode: 'warn' });
      });

      it('attested: every method that sends reaches the server, and nothing is recorded', async () => {
        await clearRecords();
        const silent: string[] = [];
        for (const method of surface) {
          for (const args of method.name.startsWith('client.') ? [[]] : ARGUMENT_SHAPES) {
            const { url, id } = api.baseURL();
            const client = makeClient(url);
            // Settled inside attest(): some results start their request only when awaited
            // (@anthropic-ai/sdk's tool runner is a lazy thenable).
            const outcome = await attest(async () =>
              settle(method.call(client, structuredClone(args)), PENDING_MS),
            )().catch(
              (error: unknown) => immediate('threw', error), // the SDK refused these arguments before any request
            );
            api.finish(id);
            await waitForEnd(outcome, method.name);
            if (api.requests(id) > 0) {
              reaching.set(method.name, args);
              break;
            }
          }
          if (!reaching.has(method.name)) silent.push(method.name);
        }
        assert.deepEqual(await readRecords(), [], 'no attested call is recorded');
        // The walk must really exercise the SDK: nearly every method sends with one of the shapes.
        assert.ok(
          reaching.size >= 0.8 * surface.length,
          `only ${reaching.size} of ${surface.length} methods reached the server; silent: ${silent.join(', ')}`,
        );
        for (const helper of ['client.get', 'client.post', 'client.request']) {
          assert.ok(reaching.has(helper), `${helper} reached the server`);
        }
      });

      it('block mode, nothing attested: no request reaches the server, one blocked record per call', async () => {
        assert.ok(reaching.size > 0, 'the attested walk ran first');
        const leaked: string[] = [];
        const unrecorded: string[] = [];
        for (const method of surface) {
          const args = reaching.get(method.name);
          if (!args) continue;
          await clearRecords();
          const { url, id } = api.baseURL();
          let outcome: Outcome;
          try {
            outcome = await settle(method.call(makeClient(url), structuredClone(args)), PENDING_MS);
          } catch (error) {
            outcome = immediate('threw', error);
          }
          api.finish(id);
          await waitForEnd(outcome, method.name);
          if (api.requests(id) > 0)
            leaked.push(`${method.name} (${api.requests(id)} requests, ${outcome.state})`);
          const records = await readRecords();
          if (records.length !== 1 || records[0].blocked !== true) {
            unrecorded.push(`${method.name} (${records.length} records)`);
          }
        }
        assert.deepEqual(leaked, [], 'methods whose requests reached the server');
        assert.deepEqual(unrecorded, [], 'methods without exactly one blocked record');
      });
    },
  );
}
