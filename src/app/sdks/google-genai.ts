import { GEN_AI_OPERATION_EMBEDDINGS, GEN_AI_OPERATION_GENERATE_CONTENT } from '../semconv';
import { findMethodOwner, type PatchTarget, type SdkDefinition } from './definition';
import { camelCaseAt, firstPathSegment, withoutLeadingSlashes } from './path-text';

const VERSIONS = '>=3.0.0 <4';

/** The classes behind GoogleGenAI's resources (client.models, client.fileSearchStores.documents, …) and Chat. */
const RESOURCE_CLASSES = [
  'Models',
  'Chat',
  'Batches',
  'Caches',
  'Files',
  'Operations',
  'Tokens',
  'Tunings',
  'FileSearchStores',
  'Documents',
];
const METHODS = ['request', 'requestStream'];
/** The Speakeasy client behind interactions, agents, webhooks, triggers, … builds each request here. */
const NEXT_GEN_METHOD = '_createRequest';

/** Method verbs (`…:verb`) whose public resource is not the path's collection. */
const RESOURCE_BY_VERB: Record<string, string> = {
  batchGenerateContent: 'batches',
  asyncBatchEmbedContent: 'batches',
  fetchPredictOperation: 'operations',
  importFile: 'fileSearchStores',
  uploadToFileSearchStore: 'fileSearchStores',
};

/** REST collections and the `GoogleGenAI` property that calls them, where the names differ. */
const RESOURCE_BY_COLLECTION: Record<string, string> = {
  tunedModels: 'tunings',
  tuningJobs: 'tunings',
  batchPredictionJobs: 'batches',
  cachedContents: 'caches',
  auth_tokens: 'authTokens',
  // A Vertex endpoint serves a deployed model: generateContent on it is a models call.
  endpoints: 'models',
};

const OPERATION_BY_VERB: Record<string, string> = {
  generateContent: GEN_AI_OPERATION_GENERATE_CONTENT,
  streamGenerateContent: GEN_AI_OPERATION_GENERATE_CONTENT,
  embedContent: GEN_AI_OPERATION_EMBEDDINGS,
  batchEmbedContents: GEN_AI_OPERATION_EMBEDDINGS,
};

/** Collections whose `<collection>/<id>:verb` paths name the model the request goes to. */
const MODEL_COLLECTIONS = new Set(['models', 'tunedModels', 'endpoints']);

/**
 * @google/genai sends every REST call of `GoogleGenAI` (models, chats, batches, caches, files, …)
 * through its internal `ApiClient.request` / `requestStream`, async methods that run before the
 * URL is built or auth headers are fetched. The class is not exported and lives in the
 * package's single-file bundle (the entry module), so it is found through a throwaway client.
 */
export const googleGenAI: SdkDefinition = {
  module: '@google/genai',
  supportedVersions: VERSIONS,
  patchPoints: [
    {
      versions: VERSIONS,
      files: ['dist/node/index.cjs', 'dist/node/index.mjs'],
      inEntryModule: true,
      label: 'ApiClient.request|requestStream|NextGen._createRequest',
      locate: apiClientMethods,
    },
  ],
  callSites: ['google-genai.GoogleGenAI.models', 'google-genai.GoogleGenAI.<resource>'],
  // The resource classes of GoogleGenAI (and a chat session's, which calls models) send through
  // ApiClient; interactions, agents, webhooks, triggers, environments, credentials and voices
  // through the NextGen client's _createRequest; `live` (WebSocket) is not patched.
  userApi: {
    prefix: 'google-genai',
    clients: ['GoogleGenAI'],
    classes: [{ names: RESOURCE_CLASSES }],
    localMethods: ['getHistory'],
  },
  // The chokepoint runs on the client's internal ApiClient, its own `apiClient` property.
  clientKeys: (client) => [(client as { apiClient?: unknown }).apiClient],
  describe(self, args, name) {
    if (name === NEXT_GEN_METHOD) return describeNextGen(self, args);
    const path = (args[0] as { path?: unknown } | null | undefined)?.path;
    const call = parsePath(typeof path === 'string' ? path : '');
    return {
      callSite: `google-genai.GoogleGenAI.${call.resource}`,
      provider: isVertexAI(self) ? 'gcp.vertex_ai' : 'gcp.gemini',
      operation: (call.verb && OPERATION_BY_VERB[call.verb]) || call.verb || call.resource,
      model: call.model,
    };
  },
  // ApiClient's methods are async: their own errors arrive as a rejected promise, which the public
  // methods (generateContent, generateContentStream, …) await. The NextGen _createRequest returns
  // a Result (`{ ok, value | error }`), as for its own request-building errors.
  fail(_original, _self, _args, error, name) {
    if (name === NEXT_GEN_METHOD) return { ok: false, error };
    return Promise.reject(error);
  },
};

/**
 * ApiClient's methods, from a client in Gemini API-key mode: its constructor only reads the
 * environment and stores options (no I/O, no google-auth; its one output is the SDK's own
 * console warning when both GOOGLE_API_KEY and GEMINI_API_KEY are set). A fault means "not found".
 */
function apiClientMethods(exports: unknown): PatchTarget[] {
  const GoogleGenAI = (exports as { GoogleGenAI?: unknown } | null | undefined)?.GoogleGenAI;
  if (typeof GoogleGenAI !== 'function') return [];
  let apiClient: unknown;
  let probe: unknown;
  try {
    probe = new (GoogleGenAI as new (options: object) => { apiClient?: unknown })({
      apiKey: 'mima-guard-probe',
      vertexai: false,
    });
    apiClient = (probe as { apiClient?: unknown }).apiClient;
  } catch {
    return [];
  }
  const proto: unknown = apiClient ? Object.getPrototypeOf(apiClient) : undefined;
  const targets = METHODS.flatMap((method) => {
    const owner = findMethodOwner(proto, method);
    return owner ? [{ owner, method }] : [];
  });
  // getNextGenClient() only builds the client (an HTTP client object, options): no I/O.
  let nextGen: unknown;
  try {
    nextGen = (probe as { getNextGenClient?: () => unknown }).getNextGenClient?.();
  } catch {
    return targets;
  }
  const owner = nextGen ? findMethodOwner(Object.getPrototypeOf(nextGen), NEXT_GEN_METHOD) : undefined;
  return owner ? [...targets, { owner, method: NEXT_GEN_METHOD }] : targets;
}

/** `/v1beta/interactions/123:cancel` → interactions; the body (JSON text) is not read. */
function describeNextGen(self: unknown, args: unknown[]) {
  const path = (args[1] as { path?: unknown } | null | undefined)?.path;
  let rest = withoutLeadingSlashes(typeof path === 'string' ? path : '');
  const version = firstPathSegment(rest);
  // `v1beta`, `v1alpha`, `v1`: the API version.
  if (/^v\d+[a-z\d]*$/.test(version)) rest = withoutLeadingSlashes(rest.slice(version.length));
  const segment = firstPathSegment(rest).split(':', 1)[0];
  const resource = segment ? camelCaseAt(segment, '_') : 'unknown';
  const baseURL = (self as { _baseURL?: { hostname?: unknown } } | null | undefined)?._baseURL;
  const host = typeof baseURL?.hostname === 'string' ? baseURL.hostname : '';
  return {
    callSite: `google-genai.GoogleGenAI.${resource}`,
    provider: host.endsWith('aiplatform.googleapis.com') ? 'gcp.vertex_ai' : 'gcp.gemini',
    operation: resource,
  };
}

function isVertexAI(apiClient: unknown): boolean {
  const client = apiClient as { isVertexAI?: unknown } | null | undefined;
  return typeof client?.isVertexAI === 'function' && client.isVertexAI() === true;
}

interface PathCall {
  resource: string;
  verb?: string;
  model?: string;
}

/**
 * Names a request from its path only, e.g. `models/gemini-2.5-flash:generateContent` (Gemini),
 * `publishers/google/models/…:predict` or `projects/p/locations/l/endpoints/123:generateContent`
 * (Vertex), `upload/{api_version}/files`, `batches/123:cancel`.
 */
function parsePath(path: string): PathCall {
  let segments = withoutLeadingSlashes(path.split('?', 1)[0]).split('/');
  // The prefixes before the collection, each with its named segments non-empty.
  const skip = (names: string[]) => {
    const fits =
      segments.length > names.length * 2 &&
      names.every((n, i) => segments[i * 2] === n && segments[i * 2 + 1] !== '');
    if (fits) segments = segments.slice(names.length * 2);
  };
  if (segments[0] === 'upload' && segments.length > 2 && segments[1] !== '') segments = segments.slice(2);
  skip(['projects', 'locations']);
  skip(['publishers']);
  const last = segments[segments.length - 1];
  const colon = last.lastIndexOf(':');
  const verb = colon >= 0 ? last.slice(colon + 1) : undefined;
  if (colon >= 0) segments[segments.length - 1] = last.slice(0, colon);
  const collection = segments[0];
  const resource =
    (verb && RESOURCE_BY_VERB[verb]) ||
    (segments.includes('operations') ? 'operations' : undefined) ||
    RESOURCE_BY_COLLECTION[collection] ||
    collection ||
    'unknown';
  const namesModel = verb !== undefined && segments.length === 2 && MODEL_COLLECTIONS.has(collection);
  const model = namesModel
    ? collection === 'models'
      ? segments[1]
      : `${collection}/${segments[1]}`
    : undefined;
  return { resource, verb, model: model || undefined };
}
