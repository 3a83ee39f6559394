import * as assert from 'node:assert/strict';
import { attest } from '../../src';
import { clearRecords, readRecords, useGuard } from './guard';
import { countingApi, immediate, settle, waitForEnd, type SurfaceMethod } from './surface';

/** Arguments for one call, built for the client it goes to (a model bound to its URL, …). */
export type ArgumentShape = (client: object) => unknown[];

export interface SurfaceSpec {
  label: string;
  skip?: string;
  /** Loads the SDK (with the guard in block mode already on) and lists its surface. */
  load(): { makeClient(baseURL: string): object; surface: SurfaceMethod[] };
  shapes: ArgumentShape[];
  /** New arguments from the error of an attested call the SDK refused before sending, if any. */
  refine?(args: unknown[], error: unknown): unknown[] | undefined;
  /** The share of the surface that must reach the server attested: the walk must be real. */
  minReaching: number;
  /**
   * How the walked SDK's own call sites begin ('ai.'): a blocked record must name this layer. A
   * call that reaches the network through another patched SDK (ai's models through @ai-sdk/*) is
   * still blocked there when the guard misses the walked SDK, and its record then names the other.
   */
  callSitePrefix: string;
  /**
   * Requests refused on their way to another host so far (an SDK that ignores the base URL):
   * counted as reaching the network for the call in progress.
   */
  strayRequests?(): number;
  /** Name the methods that reached (a surface where most methods are helpers that never send). */
  showReaching?: boolean;
  /** How long a call may stay pending (a poll helper, a stream never read) before the next. */
  pendingMs?: number;
}

/** Plain argument lists, copied for each call. */
export function fixedShapes(shapes: unknown[][]): ArgumentShape[] {
  return shapes.map((shape) => () => structuredClone(shape));
}

const REFINE_ROUNDS = 8;

/**
 * A paginator or other lazy async iterable sends when first read: read one item of it, then
 * close it as a loop that breaks would (a stream left open would go on without the walk).
 */
function firstStep(value: unknown): unknown {
  const iterable = value as { then?: unknown; [Symbol.asyncIterator]?: () => AsyncIterator<unknown> } | null;
  if (iterable === null || typeof iterable !== 'object' || typeof iterable.then === 'function') return value;
  const iterate = iterable[Symbol.asyncIterator];
  if (typeof iterate !== 'function') return value;
  const iterator = iterate.call(iterable);
  const close = async () => {
    await iterator.return?.();
  };
  return iterator.next().then(
    async (step) => {
      await close();
      return step;
    },
    async (error: unknown) => {
      await close();
      throw error;
    },
  );
}

/**
 * The two walks of test/stainless-surface.test.ts for any SDK: attested, each method is tried
 * with each argument shape until its request reaches the counting server (nothing is recorded);
 * then in block mode with nothing attested, each method that reached must send nothing and
 * leave exactly one blocked record.
 */
export function describeSurface(spec: SurfaceSpec): void {
  const describeSdk = spec.skip ? describe.skip : describe;
  describeSdk(
    `${spec.label}: every public method that reaches the network is checked${spec.skip ? ` (skipped: ${spec.skip})` : ''}`,
    function () {
      this.timeout(600_000);
      const pendingMs = spec.pendingMs ?? 1000;
      let api: Awaited<ReturnType<typeof countingApi>>;
      let loaded: ReturnType<SurfaceSpec['load']>;
      const reaching = new Map<string, ArgumentShape>();

      /** One call on a fresh client at a fresh URL: its outcome and how many requests it sent. */
      async function run(method: SurfaceMethod, shape: ArgumentShape, attested: boolean) {
        const { url, id } = api.baseURL();
        const client = loaded.makeClient(url);
        let args: unknown[] = [];
        const call = async () => {
          args = shape(client);
          try {
            return await settle(firstStep(method.call(client, args)), pendingMs);
          } catch (error) {
            return immediate('threw', error);
          }
        };
        const strayBefore = spec.strayRequests?.() ?? 0;
        const outcome = attested ? await attest(call)() : await call();
        api.finish(id);
        await waitForEnd(outcome, method.name);
        const stray = (spec.strayRequests?.() ?? 0) - strayBefore;
        return { outcome, args, requests: api.requests(id) + stray };
      }

      before(async () => {
        useGuard({ mode: 'block' });
        loaded = spec.load();
        api = await countingApi();
      });

      after(async () => {
        await api?.close();
        useGuard({ mode: 'warn' });
      });

      it('attested: the methods reach the server, and nothing is recorded', async () => {
        await clearRecords();
        const silent: string[] = [];
        for (const method of loaded.surface) {
          for (const first of spec.shapes) {
            let shape = first;
            for (let round = 0; round < REFINE_ROUNDS && !reaching.has(method.name); round++) {
              const { outcome, args, requests } = await run(method, shape, true);
              if (requests > 0) {
                reaching.set(method.name, shape);
                break;
              }
              const refined = spec.refine?.(args, outcome.error);
              if (!refined) break;
              shape = () => structuredClone(refined);
            }
            if (reaching.has(method.name)) break;
          }
          if (!reaching.has(method.name)) silent.push(method.name);
        }
        assert.deepEqual(await readRecords(), [], 'no attested call is recorded');
        console.log(
          `      ${spec.label}: ${loaded.surface.length} methods walked, ${reaching.size} reach the server` +
            (spec.showReaching ? `: ${[...reaching.keys()].join(', ')}` : '') +
            (silent.length && !spec.showReaching ? `; silent: ${silent.join(', ')}` : ''),
        );
        assert.ok(
          reaching.size >= spec.minReaching * loaded.surface.length,
          `only ${reaching.size} of ${loaded.surface.length} methods reached the server`,
        );
      });

      it('block mode, nothing attested: no request reaches the server, one blocked record per call', async () => {
        assert.ok(reaching.size > 0, 'the attested walk ran first');
        const leaked: string[] = [];
        const unrecorded: string[] = [];
        const misnamed: string[] = [];
        for (const method of loaded.surface) {
          const shape = reaching.get(method.name);
          if (!shape) continue;
          await clearRecords();
          const { outcome, requests } = await run(method, shape, false);
          if (requests > 0) leaked.push(`${method.name} (${requests} requests, ${outcome.state})`);
          const records = await readRecords();
          if (records.length !== 1 || records[0].blocked !== true) {
            unrecorded.push(`${method.name} (${records.length} records)`);
          } else if (!records[0].call_site.startsWith(spec.callSitePrefix)) {
            misnamed.push(`${method.name} (recorded as ${records[0].call_site})`);
          }
        }
        console.log(`      ${spec.label}: ${reaching.size - unrecorded.length} of ${reaching.size} blocked`);
        assert.deepEqual(leaked, [], 'methods whose requests reached the server');
        assert.deepEqual(unrecorded, [], 'methods without exactly one blocked record');
        assert.deepEqual(misnamed, [], `methods blocked by another layer than ${spec.callSitePrefix}*`);
      });
    },
  );
}
