import {
  GEN_AI_OPERATION_CHAT,
  GEN_AI_OPERATION_EMBEDDINGS,
  GEN_AI_OPERATION_TEXT_COMPLETION,
} from '../semconv';
import { exportedFunctions, exportedPrototypes, ownEntry, type SdkDefinition } from './definition';
import { camelCaseAt, isVersionSegment } from './path-text';

const VERSIONS = '>=8.0.0 <9';

const OPERATION_BY_RESOURCE: Record<string, string> = {
  chat: GEN_AI_OPERATION_CHAT,
  embed: GEN_AI_OPERATION_EMBEDDINGS,
  generate: GEN_AI_OPERATION_TEXT_COMPLETION,
};

/**
 * cohere-ai (Fern) sends every endpoint of `CohereClient` (class `CustomClient`), its `v2`
 * client and `CohereClientV2` through `core.fetcher`, which each call reads through live
 * getters down to the `fetcher` export of core/fetcher/Fetcher.js: replacing that export
 * intercepts them all, streams included, before the request is built. The fetcher is called
 * without a client (`this`), so the client class in the call site names the API version of
 * the URL: `/v1/…` → `CohereClient`, `/v2/…` → `CohereClientV2`.
 */
export const cohere: SdkDefinition = {
  module: 'cohere-ai',
  supportedVersions: VERSIONS,
  patchPoints: [
    { versions: VERSIONS, files: ['core/fetcher/Fetcher.js'], ...exportedFunctions('fetcher') },
    // The clients' `fetch(path, init)` passthrough (any endpoint, with the client's auth) sends
    // through its own function, not the fetcher; versions without it never load the file.
    {
      versions: VERSIONS,
      files: ['core/fetcher/makePassthroughRequest.js'],
      ...exportedFunctions('makePassthroughRequest'),
    },
  ],
  // The fetcher runs after each endpoint's own awaits (generator-based __awaiter: no async frames
  // either): the clients' endpoint methods note their caller. CohereClientV2 binds V2Client's and
  // CohereClient's methods at construction; the sub-resources come through CohereClient's getters.
  callerEntries: [
    {
      versions: VERSIONS,
      files: ['Client.js', 'api/resources/v2/client/Client.js'],
      prototypes: exportedPrototypes('CohereClient', 'V2Client'),
    },
  ],
  callSites: [
    'cohere.CohereClient.chat',
    'cohere.CohereClientV2.chat',
    'cohere.CohereClient.embed',
    'cohere.CohereClient.<resource>',
    'cohere.CohereClientV2.<resource>',
  ],
  // The clients' endpoint methods (CohereClientV2 declares its own as properties typed after
  // V2Client's methods) and the sub-resources' (client.datasets.list(), …): all call the fetcher.
  userApi: {
    prefix: 'cohere',
    clients: ['CohereClientV2', 'CohereClient', 'CustomClient'],
    methodsIn: ['Client.', 'ClientV2.', 'api/resources/'],
  },
  describe(_self, args, name) {
    if (name === 'makePassthroughRequest') {
      // fetch(input, init): the body is the caller's own serialized text and is never read.
      const endpoint = endpointOf(passthroughUrl(args[0]));
      return {
        callSite: `cohere.${endpoint.client}.${endpoint.resource}`,
        provider: 'cohere',
        operation: ownEntry(OPERATION_BY_RESOURCE, endpoint.resource) ?? endpoint.resource,
      };
    }
    const request = args[0] as { url?: unknown; body?: unknown } | null | undefined;
    const endpoint = endpointOf(request?.url);
    const model = (request?.body as { model?: unknown } | null | undefined)?.model;
    return {
      callSite: `cohere.${endpoint.client}.${endpoint.resource}`,
      provider: 'cohere',
      operation: ownEntry(OPERATION_BY_RESOURCE, endpoint.resource) ?? endpoint.resource,
      model: typeof model === 'string' ? model : undefined,
    };
  },
  // The fetcher is async and each endpoint awaits it: a rejection becomes the rejection of the
  // SDK's own HttpResponsePromise (chat(), chatStream(), embed(), …).
  fail(_original, _self, _args, error) {
    return Promise.reject(error);
  },
};

/** `https://api.cohere.com/v2/chat` → CohereClientV2, chat; `…/v1/embed-jobs` → CohereClient, embedJobs. */
function endpointOf(url: unknown): { client: string; resource: string } {
  let segments: string[] = [];
  try {
    // A passthrough path (`/v2/chat`) is relative to the client's base URL.
    segments = new URL(String(url), 'http://relative.invalid').pathname.split('/');
  } catch {
    // not a URL: unnamed below
  }
  const at = segments.findIndex(isVersionSegment);
  const resource = at >= 0 && segments[at + 1] ? camelCase(segments[at + 1]) : 'unknown';
  return { client: segments[at] === 'v2' ? 'CohereClientV2' : 'CohereClient', resource };
}

/** fetch()'s input: a path or URL string, a URL, or a Request. */
function passthroughUrl(input: unknown): unknown {
  if (typeof input === 'string' || input instanceof URL) return input;
  return (input as { url?: unknown } | null | undefined)?.url;
}

function camelCase(segment: string): string {
  return camelCaseAt(segment, '-');
}
