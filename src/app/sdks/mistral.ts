import {
  GEN_AI_OPERATION_CHAT,
  GEN_AI_OPERATION_EMBEDDINGS,
  GEN_AI_OPERATION_TEXT_COMPLETION,
} from '../semconv';
import { exportedPrototypes, ownEntry, prototypeMethod, type SdkDefinition } from './definition';
import { camelCaseAt, firstPathSegment, isVersionSegment, withoutLeadingSlashes } from './path-text';

const VERSIONS = '>=2.0.0 <3';
const METHOD = '_createRequest';

const OPERATION_BY_RESOURCE: Record<string, string> = {
  chat: GEN_AI_OPERATION_CHAT,
  fim: GEN_AI_OPERATION_TEXT_COMPLETION,
  embeddings: GEN_AI_OPERATION_EMBEDDINGS,
};

/** `ClientSDK` where its own file is loaded (esm/lib/sdks.js), `Mistral` in the entry module. */
const inSdksFile = prototypeMethod('ClientSDK', METHOD);
const inEntry = prototypeMethod('Mistral', METHOD);

/**
 * @mistralai/mistralai (Speakeasy) builds every request in `ClientSDK.prototype._createRequest`,
 * which each sub-SDK (`Chat`, `Fim`, `Embeddings`, …) inherits. It runs synchronously before
 * `_do()` sends anything and returns a Result (`{ ok, value | error }`) that the SDK unwraps:
 * an `{ ok: false }` Result is how its own request-building errors arrive.
 */
export const mistral: SdkDefinition = {
  module: '@mistralai/mistralai',
  supportedVersions: VERSIONS,
  patchPoints: [
    {
      versions: VERSIONS,
      files: ['esm/lib/sdks.js'],
      // On Node 20, require() of this ES-module-only package shows the hooks its entry, not its imports.
      inEntryModule: true,
      label: inSdksFile.label,
      locate: (exports) => {
        const targets = inSdksFile.locate(exports);
        return targets.length > 0 ? targets : inEntry.locate(exports);
      },
    },
  ],
  // _createRequest runs after the call's own await (extractSecurity), and the APIPromise thenable
  // gives V8 no async frames: the sub-SDKs' methods (client.chat.complete, …), reached through
  // Mistral's getters, note their caller.
  callerEntries: [
    {
      versions: VERSIONS,
      files: ['esm/sdk/sdk.js'],
      inEntryModule: true,
      prototypes: exportedPrototypes('Mistral'),
    },
  ],
  callSites: [
    'mistral.Mistral.chat',
    'mistral.Mistral.embeddings',
    'mistral.Mistral.fim',
    'mistral.Mistral.<resource>',
  ],
  // Each sub-SDK (esm/sdk/chat.d.ts: Chat extends ClientSDK) and each standalone function
  // (esm/funcs/chatComplete.d.ts) builds its requests with _createRequest.
  userApi: {
    prefix: 'mistral',
    clients: ['Mistral', 'MistralCore'],
    methodsIn: ['esm/sdk/'],
    functionsIn: ['esm/funcs/'],
  },
  // Sub-clients (chat, fim, ...) are built lazily from the root's options and share its hooks
  // object, the one thing that identifies the root client at the chokepoint.
  clientKeys: (client) => [hooksOf(client)],
  clientKeyOf: hooksOf,
  describe(self, args) {
    const conf = args[1] as { path?: unknown; body?: unknown } | null | undefined;
    const resource = subSdkName(self) ?? pathResource(conf?.path);
    return {
      callSite: `mistral.Mistral.${resource}`,
      provider: 'mistral_ai',
      operation: ownEntry(OPERATION_BY_RESOURCE, resource) ?? resource,
      model: leadingModel(conf?.body),
    };
  },
  // The methods (chat.complete, chat.stream, …) reject with the error; the standalone functions
  // (funcs/chatComplete.js) resolve to this Result, as they do for the SDK's own errors.
  fail(_original, _self, _args, error) {
    return { ok: false, error };
  },
};

/** The clients themselves, used by the standalone functions (funcs/chatComplete.js, …). */
const TOP_LEVEL_CLIENTS = new Set(['Mistral', 'MistralCore']);

/** `Chat` → `chat`: the sub-SDK's class is the client property the user called. */
function subSdkName(self: unknown): string | undefined {
  const name = (self as { constructor?: { name?: unknown } } | null | undefined)?.constructor?.name;
  if (typeof name !== 'string' || !name || TOP_LEVEL_CLIENTS.has(name)) return undefined;
  return name[0].toLowerCase() + name.slice(1);
}

/** `/v1/chat/completions` → `chat`, `/v1/fine_tuning/jobs` → `fineTuning`. */
function pathResource(path: unknown): string {
  if (typeof path !== 'string') return 'unknown';
  let rest = withoutLeadingSlashes(path);
  const version = firstPathSegment(rest);
  if (isVersionSegment(version) && rest[version.length] === '/') rest = rest.slice(version.length + 1);
  const segment = firstPathSegment(rest);
  return segment ? camelCaseAt(segment, '_') : 'unknown';
}

/**
 * The body is already JSON text. The SDK serialises `model` first for chat, FIM, embeddings
 * and the other model endpoints, so only that leading field is read; nothing after it.
 */
function leadingModel(body: unknown): string | undefined {
  if (typeof body !== 'string') return undefined;
  const start = '{"model":'.length;
  if (!body.startsWith('{"model":"')) return undefined;
  let end = start + 1;
  while (end < body.length && body[end] !== '"') end += body[end] === '\\' ? 2 : 1;
  if (end >= body.length) return undefined;
  const model: unknown = JSON.parse(body.slice(start, end + 1));
  return typeof model === 'string' ? model : undefined;
}

function hooksOf(client: unknown): unknown {
  return (client as { _options?: { hooks?: unknown } } | null | undefined)?._options?.hooks;
}
