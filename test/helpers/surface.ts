import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A Stainless client's public request surface, walked as a user could call it: every method of
 * every resource (two levels of sub-resources and more), and the client's own request helpers.
 */
export interface SurfaceMethod {
  /** e.g. `vectorStores.files.list`, `client.post`. */
  name: string;
  call(client: object, args: unknown[]): unknown;
}

/** Own properties holding a resource of this client (an object whose `_client` is the client). */
function resources(owner: object, client: object): Array<[string, object]> {
  return Object.keys(owner).flatMap((key): Array<[string, object]> => {
    const value = (owner as Record<string, unknown>)[key];
    if (value === null || typeof value !== 'object' || value === client) return [];
    return (value as { _client?: unknown })._client === client ? [[key, value]] : [];
  });
}

/** The methods a resource's class declares (its own and its parents' up to the SDK's APIResource). */
function methodsOf(resource: object): string[] {
  const names = new Set<string>();
  for (let p = Object.getPrototypeOf(resource); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    if (p.constructor?.name === 'APIResource') break;
    for (const name of Object.getOwnPropertyNames(p)) {
      const descriptor = Object.getOwnPropertyDescriptor(p, name);
      if (name !== 'constructor' && !name.startsWith('_') && typeof descriptor?.value === 'function')
        names.add(name);
    }
  }
  return [...names];
}

export function publicSurface(client: object): SurfaceMethod[] {
  const found: SurfaceMethod[] = [];
  const walk = (owner: object, pathNames: string[], depth: number) => {
    for (const [key, resource] of resources(owner, client)) {
      const names = [...pathNames, key];
      for (const method of methodsOf(resource)) {
        found.push({
          name: [...names, method].join('.'),
          call: (c, args) => {
            let target: Record<string, unknown> = c as Record<string, unknown>;
            for (const n of names) target = target[n] as Record<string, unknown>;
            return (target[method] as (...a: unknown[]) => unknown).apply(target, args);
          },
        });
      }
      if (depth < 4) walk(resource, names, depth + 1);
    }
  };
  walk(client, [], 0);
  return found;
}

/** The client's request helpers, each aimed at a real endpoint. */
export function clientHelpers(chatPath: string, listPath: string, Page: unknown): SurfaceMethod[] {
  const body = { model: 'surface-model', messages: [] };
  // fetch refuses a body on GET; DELETE goes without one too.
  const verb = (name: string) => ({
    name: `client.${name}`,
    call: (c: object) =>
      (c as Record<string, (p: string, o: object) => unknown>)[name](
        chatPath,
        name === 'get' || name === 'delete' ? {} : { body },
      ),
  });
  return [
    ...['get', 'post', 'patch', 'put', 'delete'].map(verb),
    {
      name: 'client.request',
      call: (c) => (c as { request(o: object): unknown }).request({ method: 'post', path: chatPath, body }),
    },
    {
      name: 'client.getAPIList',
      call: (c) =>
        (c as { getAPIList?(p: string, page: unknown): unknown }).getAPIList?.(listPath, Page) ??
        'no getAPIList',
    },
  ];
}

/** Argument shapes tried in turn until an attested call reaches the network. */
export const ARGUMENT_SHAPES: unknown[][] = [
  [],
  ['id_1'],
  [{}],
  ['id_1', {}],
  ['id_1', 'id_2'],
  ['id_1', { thread_id: 'id_2', vector_store_id: 'id_2', container_id: 'id_2', batch_id: 'id_2' }],
  ['id_1', 'id_2', {}],
  ['id_1', 'id_2', 'id_3'],
];

/**
 * A local API that counts every request by the first path segment of the client that sent it
 * (`/c<n>/…`), so a request still in flight from an earlier method is never counted for a later
 * one. A client marked finished gets 400, which ends its retries and poll loops.
 */
export async function countingApi() {
  const counts = new Map<string, number>();
  const finished = new Set<string>();
  const server = http.createServer((req, res) => {
    const client = (req.url ?? '').split('/')[1] ?? '';
    counts.set(client, (counts.get(client) ?? 0) + 1);
    req.resume();
    req.on('end', () => {
      const status = finished.has(client) ? 400 : 200;
      res.writeHead(status, { 'content-type': 'application/json' });
      // Enough for list pages (no next page) and poll helpers (a final status) to stop.
      res.end(JSON.stringify({ id: 'id_1', object: 'list', data: [], has_more: false, status: 'completed' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let next = 0;
  return {
    /** A fresh base URL: one per client. */
    baseURL(suffix = ''): { url: string; id: string } {
      const id = `c${next++}`;
      return { url: `http://127.0.0.1:${port}/${id}${suffix}`, id };
    },
    requests: (id: string) => counts.get(id) ?? 0,
    finish: (id: string) => finished.add(id),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The promise a call's work ends with. The SDKs' stream helpers (openai's EventStream runners and
 * streams, @anthropic-ai/sdk's MessageStream) are returned at once and run from a timer: unless
 * their done() is awaited (or an 'error' listener is on), a failure is rethrown as a rejection
 * nobody handles, so done() is what the walk waits on.
 */
function workOf(value: unknown): PromiseLike<unknown> | undefined {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return undefined;
  const v = value as { then?: unknown; done?: unknown; on?: unknown; abort?: unknown };
  if (typeof v.then === 'function') return value as PromiseLike<unknown>;
  if (typeof v.done === 'function' && typeof v.on === 'function' && typeof v.abort === 'function') {
    return (v.done as () => Promise<unknown>).call(value);
  }
  return undefined;
}

export interface Outcome {
  state: string;
  error?: unknown;
  /** Resolves once the call's work is over, whatever its outcome: the walk waits for it. */
  ended: Promise<void>;
}

/** A call that threw (or returned) at once: nothing of it is left running. */
export function immediate(state: string, error?: unknown): Outcome {
  return { state, error, ended: Promise.resolve() };
}

/** Settles with the call's outcome, or 'pending' after `ms` (a poll helper, a stream never read). */
export async function settle(value: unknown, ms: number): Promise<Outcome> {
  const work = workOf(value);
  if (!work) return immediate('sync');
  const outcome = Promise.resolve(work).then(
    () => ({ state: 'resolved' }),
    (error: unknown) => ({ state: 'rejected', error }),
  );
  const ended = outcome.then(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ state: string }>((resolve) => {
    timer = setTimeout(() => resolve({ state: 'pending' }), ms);
  });
  try {
    return { ...(await Promise.race([outcome, timeout])), ended };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * How long a call may go on once its client is finished: every request it sends then gets a 400
 * at once, so only a wait of its own keeps it longer (a client timeout, 5 s in the walks; openai's
 * files.waitForProcessing polls every 5 s).
 */
const END_MS = 10_000;

/**
 * Waits for the work a call started to be over, so that nothing of it (a retry, a poll, a stream
 * helper's timer) runs, or rejects, during a later call or after the walk.
 */
export async function waitForEnd(outcome: Outcome, name: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), END_MS)));
  try {
    if (await Promise.race([outcome.ended.then(() => false), late])) {
      throw new Error(`${name} was still running ${END_MS} ms after its server turned it away`);
    }
  } finally {
    clearTimeout(timer);
  }
}
