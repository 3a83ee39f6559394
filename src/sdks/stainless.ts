import {
  ownEntry,
  prototypeMethod,
  type AnyMethod,
  type PatchPoint,
  type SdkDefinition,
  type UserApi,
} from './definition';
import { firstPathSegment, withoutLeadingSlashes, withoutPrefix } from './path-text';

/**
 * The Stainless-generated SDKs (openai, @anthropic-ai/sdk, groq-sdk) send every model call
 * through `methodRequest(method, path, opts)` on the client class, synchronously, before
 * anything is awaited: the decision is made before the first byte, streams included, and
 * resources added in later minors are covered without a hand list.
 */
export interface StainlessSpec {
  module: string;
  /** First segment of the call-site name, e.g. 'openai'. */
  callSitePrefix: string;
  supportedVersions: string;
  /** Per version layout: the files and the class export that holds methodRequest. */
  layouts: Array<{ versions: string; files: string[]; exportName: string }>;
  /** Client classes the package exports, subclasses first and the base client last. */
  clientClasses: string[];
  /** gen_ai.provider.name for a client class. */
  provider(clientClass: string): string;
  /** The API path prefix before the resource, after the leading slash: `v1/` for anthropic. */
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

/** The client's own request helpers (client.post('/chat/completions', …)), which call methodRequest too. */
const CLIENT_REQUEST_METHODS = ['get', 'post', 'patch', 'put', 'delete', 'getAPIList', 'request'];

export function stainlessSdk(spec: StainlessSpec): SdkDefinition {
  return {
    module: spec.module,
    supportedVersions: spec.supportedVersions,
    callSites: spec.callSites,
    userApi: userApi(spec),
    patchPoints: spec.layouts.map((layout): PatchPoint => ({
      versions: layout.versions,
      files: layout.files,
      ...prototypeMethod(layout.exportName, 'methodRequest'),
    })),
    describe(self, args) {
      const clientClass = nearestClientClass(self, spec.clientClasses);
      const segment = resourceOf(args[1], spec.pathPrefix);
      const names = spec.resourceNames;
      const resource = (names && ownEntry(names, segment)) ?? segment;
      return {
        callSite: `${spec.callSitePrefix}.${clientClass}.${resource}`,
        provider: spec.provider(clientClass),
        operation: ownEntry(spec.operations, resource) ?? resource,
        model: requestModel(args[2]),
      };
    },
    // The original builds the SDK's own APIPromise from options that reject, so the caller
    // gets a genuine APIPromise that rejects before any request is built or sent.
    fail(original: AnyMethod, self, args, error) {
      const rejected = Promise.reject(error);
      return original.call(self, args[0], args[1], rejected);
    },
  };
}

/**
 * Every resource method reaches methodRequest, and the resources are the package's resources/
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

function resourceOf(path: unknown, prefix?: string): string {
  if (typeof path !== 'string') return 'unknown';
  return firstPathSegment(withoutPrefix(withoutLeadingSlashes(path), prefix)) || 'unknown';
}

/** The model name from the request options, when they are a plain object (never the body's content). */
function requestModel(opts: unknown): string | undefined {
  if (
    opts === null ||
    typeof opts !== 'object' ||
    typeof (opts as PromiseLike<unknown>).then === 'function'
  ) {
    return undefined;
  }
  const body = (opts as { body?: unknown }).body;
  if (body === null || typeof body !== 'object') return undefined;
  const model = (body as { model?: unknown }).model;
  return typeof model === 'string' ? model : undefined;
}
