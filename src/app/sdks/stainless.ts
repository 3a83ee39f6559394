import {
  ownEntry,
  prototypeMethods,
  type AnyMethod,
  type PatchPoint,
  type SdkDefinition,
  type UserApi,
} from './definition';

/**
 * The Stainless-generated SDKs (openai, @anthropic-ai/sdk, groq-sdk) send every request through
 * one of two client methods, synchronously in the user's call: `request(options)` (resource
 * methods and the verb helpers, by way of `methodRequest(method, path, opts)`) and
 * `requestAPIList(Page, options)` (list methods and every next page). Retries and replays go
 * below both, to `makeRequest`, so a retry is the same call. `methodRequest` is patched too,
 * because it is the only point that still has the path as a plain string (it hands `request` a
 * promise): the call is decided there, and the `request` it makes is part of that call (patch.ts).
 */
export interface StainlessSpec {
  module: string;
  /** First segment of the call-site name, e.g. 'openai'. */
  callSitePrefix: string;
  supportedVersions: string;
  /** Per version layout: the files and the class export that holds the request methods. */
  layouts: Array<{ versions: string; files: string[]; exportName: string }>;
  /** Client classes the package exports, subclasses first and the base client last. */
  clientClasses: string[];
  /** gen_ai.provider.name for a client class. */
  provider(clientClass: string): string;
  /** The API path prefix before the resource, after the leading slash: 'v1/' for anthropic. */
  pathPrefix?: string;
  /** Call-site names for path segments that differ from their resource: anthropic's `complete` is `completions`. */
  resourceNames?: Record<string, string>;
  /** gen_ai.operation.name for a resource; unmapped resources use their own name. */
  operations: Record<string, string>;
  /** Example call-site names for the README table. */
  callSites: string[];
  /** Resource methods that never send a request (openai's webhooks.unwrap), for the scan. */
  localMethods?: string[];
}

/** The client's own request helpers (client.post('/chat/completions', …)), for the scan. */
const CLIENT_REQUEST_METHODS = ['get', 'post', 'patch', 'put', 'delete', 'getAPIList', 'request'];

/**
 * The patched methods, and where each keeps the request options (and the path, for the two that
 * still have it as a string: openai 7.59 builds the options in a promise, path included).
 */
const REQUEST_METHODS: Record<string, { options: number; path?: number }> = {
  methodRequest: { options: 2, path: 1 },
  getAPIList: { options: 2, path: 0 },
  request: { options: 0 },
  requestAPIList: { options: 1 },
};
const DEFAULT_METHOD = REQUEST_METHODS.request;

export function stainlessSdk(spec: StainlessSpec): SdkDefinition {
  return {
    module: spec.module,
    supportedVersions: spec.supportedVersions,
    callSites: spec.callSites,
    userApi: userApi(spec),
    patchPoints: spec.layouts.map((layout): PatchPoint => ({
      versions: layout.versions,
      files: layout.files,
      // groq-sdk has no list endpoints, hence no requestAPIList.
      ...prototypeMethods(layout.exportName, ['methodRequest', 'request'], ['requestAPIList', 'getAPIList']),
    })),
    describe(self, args, name) {
      const clientClass = nearestClientClass(self, spec.clientClasses);
      const method = REQUEST_METHODS[name] ?? DEFAULT_METHOD;
      const rawOptions = args[method.options];
      const options = plainOptions(rawOptions);
      const path = method.path !== undefined ? args[method.path] : options?.path;
      const resource = knownResource(self, resourceOf(path, spec), spec) ?? 'request';
      return {
        callSite: `${spec.callSitePrefix}.${clientClass}.${resource}`,
        provider: spec.provider(clientClass),
        operation: ownEntry(spec.operations, resource) ?? resource,
        model: requestModel(options),
        modelLater: options ? undefined : modelOnceResolved(rawOptions),
      };
    },
    // The original builds the SDK's own APIPromise / PagePromise from options that reject, so the
    // caller gets the genuine article, rejecting before any request is built or sent. getAPIList
    // spreads its options (openai 4, @anthropic-ai/sdk 0.20), so a rejected promise there would be
    // lost: it goes straight to the requestAPIList it would have called (patch.ts lets it run).
    fail(original: AnyMethod, self, args, error, name) {
      if (name === 'getAPIList') {
        const client = self as { requestAPIList(Page: unknown, options: unknown): unknown };
        return client.requestAPIList(args[1], Promise.reject(error));
      }
      const failed = [...args];
      failed[(REQUEST_METHODS[name] ?? DEFAULT_METHOD).options] = Promise.reject(error);
      return original.apply(self, failed);
    },
  };
}

/**
 * Every resource method reaches the request methods, and the resources are the package's resources/
 * folder in every layout: the scan needs no per-resource list, as the runtime needs none.
 */
function userApi(spec: StainlessSpec): UserApi {
  return {
    prefix: spec.callSitePrefix,
    clients: spec.clientClasses,
    methodsIn: ['resources/'],
    classes: [{ names: spec.clientClasses, methods: CLIENT_REQUEST_METHODS }],
    localMethods: spec.localMethods,
  };
}

function nearestClientClass(self: unknown, known: string[]): string {
  for (let p = Object.getPrototypeOf(self); p !== null; p = Object.getPrototypeOf(p)) {
    const name = (p.constructor as { name?: string } | undefined)?.name;
    if (name && known.includes(name)) return name;
  }
  return known[known.length - 1];
}

/** The first path segment after the SDK's prefix, or undefined. No regular expression on the call path. */
function resourceOf(path: unknown, spec: StainlessSpec): string | undefined {
  if (typeof path !== 'string') return undefined;
  let start = 0;
  while (path[start] === '/') start++;
  if (spec.pathPrefix && path.startsWith(spec.pathPrefix, start)) start += spec.pathPrefix.length;
  let end = start;
  while (end < path.length && end - start <= MAX_RESOURCE_LENGTH && path[end] !== '/' && path[end] !== '?')
    end++;
  return end > start ? path.slice(start, end) : undefined;
}

const MAX_RESOURCE_LENGTH = 40;

/**
 * A path segment is a call-site name only when the SDK publishes it: the client (or one of its
 * resources, for `beta.assistants`) has a resource under that name. A path is request data
 * (`client.get('/files/' + id)`, `client.post('/<anything>')`), and a segment that is not a
 * resource could be an id or user text, which never reaches a record.
 */
function knownResource(self: unknown, segment: string | undefined, spec: StainlessSpec): string | undefined {
  if (segment === undefined || segment.length > MAX_RESOURCE_LENGTH) return undefined;
  const name = (spec.resourceNames && ownEntry(spec.resourceNames, segment)) ?? segment;
  return resourceNamesOf(self).has(name) ? name : undefined;
}

/** Per client class: the path names of its resources, two levels deep (vector_stores, assistants). */
const resourceNameCache = new WeakMap<object, Set<string>>();

function resourceNamesOf(client: unknown): Set<string> {
  if (client === null || typeof client !== 'object') return new Set();
  const key = Object.getPrototypeOf(client) as object | null;
  const cached = key && resourceNameCache.get(key);
  if (cached) return cached;
  const names = new Set<string>();
  for (const resource of resourcesOf(client, client)) {
    names.add(resource.name);
    for (const inner of resourcesOf(resource.value, client)) names.add(inner.name);
  }
  if (key) resourceNameCache.set(key, names);
  return names;
}

/**
 * Own properties holding an SDK resource (an object whose `_client`, or before openai 4.19 `client`,
 * is the client), path-cased.
 */
function resourcesOf(owner: unknown, client: object): Array<{ name: string; value: object }> {
  if (owner === null || typeof owner !== 'object') return [];
  const found: Array<{ name: string; value: object }> = [];
  for (const key of Object.keys(owner)) {
    const descriptor = Object.getOwnPropertyDescriptor(owner, key);
    const value: unknown = descriptor && 'value' in descriptor ? descriptor.value : undefined;
    if (value === null || typeof value !== 'object' || value === client) continue;
    const resource = value as { _client?: unknown; client?: unknown };
    if (resource._client === client || resource.client === client)
      found.push({ name: snakeCase(key), value });
  }
  return found;
}

/** vectorStores → vector_stores: the resource property as the API path spells it. */
function snakeCase(name: string): string {
  let out = '';
  for (const char of name) {
    const lower = char.toLowerCase();
    out += lower !== char ? `_${lower}` : char;
  }
  return out;
}

/** The request options when they are a plain object now (a promise is read by nobody: no await). */
function plainOptions(opts: unknown): { path?: unknown; body?: unknown } | undefined {
  if (opts === null || typeof opts !== 'object') return undefined;
  if (typeof (opts as PromiseLike<unknown>).then === 'function') return undefined;
  return opts as { path?: unknown; body?: unknown };
}

/**
 * openai 7.59 hands `post()` its options as a promise (the body is built inside it): the model is
 * read when it resolves. Only from a plain native promise, through Promise.prototype.then, so no
 * user thenable's `then` is called a second time; a rejection is the SDK's to report, not ours.
 */
function modelOnceResolved(opts: unknown): Promise<string | undefined> | undefined {
  if (!(opts instanceof Promise) || Object.getPrototypeOf(opts) !== Promise.prototype) return undefined;
  if (Object.hasOwn(opts, 'then')) return undefined;
  return Promise.prototype.then.call(
    opts,
    (resolved: unknown) => requestModel(plainOptions(resolved)),
    () => undefined,
  ) as Promise<string | undefined>;
}

/** The model name from the request body (never the body's content). */
function requestModel(options: { body?: unknown } | undefined): string | undefined {
  const body = options?.body;
  if (body === null || typeof body !== 'object') return undefined;
  const model = (body as { model?: unknown }).model;
  return typeof model === 'string' ? model : undefined;
}
