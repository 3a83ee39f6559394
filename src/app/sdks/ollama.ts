import {
  GEN_AI_OPERATION_CHAT,
  GEN_AI_OPERATION_EMBEDDINGS,
  GEN_AI_OPERATION_TEXT_COMPLETION,
} from '../semconv';
import { ownEntry, prototypeMethods, type SdkDefinition } from './definition';

// Before 0.5.12 the class lived in a content-hashed dist/shared/ollama.<hash>.cjs, a file name per release.
const VERSIONS = '>=0.5.12 <1';

/** The methods that run a model, and their GenAI operation. */
const OPERATION_BY_METHOD: Record<string, string> = {
  chat: GEN_AI_OPERATION_CHAT,
  generate: GEN_AI_OPERATION_TEXT_COMPLETION,
  embed: GEN_AI_OPERATION_EMBEDDINGS,
  embeddings: GEN_AI_OPERATION_EMBEDDINGS,
  // A model answers scored questions about a state (0.6.4's /v1/systemone).
  systemone: 'systemone',
};
// `embed` arrived in a 0.5 patch release, `systemone` later: patched where the version has them.
const REQUIRED = ['chat', 'generate', 'embeddings'];
const OPTIONAL = ['embed', 'systemone'];

const ollamaMethods = prototypeMethods('Ollama', REQUIRED, OPTIONAL);

/**
 * ollama (ollama-js) sends each endpoint from its own method of the `Ollama` class
 * (dist/browser.cjs / .mjs; the Node entry's `Ollama` and its default instance extend it) through
 * module-private `post()` helpers, so the model methods themselves are the chokepoint: each is
 * async and its first await comes before any request (images are encoded first), so a call is
 * decided in the caller's stack. Streaming (`stream: true`) is the same method. Model management
 * (pull, push, create, copy, delete, list, show, ps) runs no model and is not patched; nor are
 * webSearch/webFetch, which call ollama.com's search API, not a model.
 */
export const ollama: SdkDefinition = {
  module: 'ollama',
  supportedVersions: VERSIONS,
  patchPoints: [
    {
      versions: VERSIONS,
      files: ['dist/browser.cjs', 'dist/browser.mjs'],
      label: ollamaMethods.label,
      locate: ollamaMethods.locate,
    },
  ],
  callSites: Object.keys(OPERATION_BY_METHOD).map((method) => `ollama.Ollama.${method}`),
  userApi: {
    prefix: 'ollama',
    clients: ['Ollama'],
    classes: [{ names: ['Ollama'], methods: [...REQUIRED, ...OPTIONAL] }],
  },
  describe(_self, args, name) {
    const model = (args[0] as { model?: unknown } | null | undefined)?.model;
    return {
      callSite: `ollama.Ollama.${name}`,
      provider: 'ollama',
      operation: ownEntry(OPERATION_BY_METHOD, name) ?? name,
      model: typeof model === 'string' ? model : undefined,
    };
  },
  // Every patched method is async: the SDK's own errors arrive as a rejection.
  fail(_original, _self, _args, error) {
    return Promise.reject(error);
  },
};
