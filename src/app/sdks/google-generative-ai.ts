import { GEN_AI_OPERATION_EMBEDDINGS, GEN_AI_OPERATION_GENERATE_CONTENT } from '../semconv';
import { ownEntry, prototypeMethods, type SdkDefinition } from './definition';
import { classesMethods, knownClassName } from './model-classes';

const VERSIONS = '>=0.1.0 <1';

const OPERATION_BY_METHOD: Record<string, string> = {
  generateContent: GEN_AI_OPERATION_GENERATE_CONTENT,
  generateContentStream: GEN_AI_OPERATION_GENERATE_CONTENT,
  sendMessage: GEN_AI_OPERATION_GENERATE_CONTENT,
  sendMessageStream: GEN_AI_OPERATION_GENERATE_CONTENT,
  embedContent: GEN_AI_OPERATION_EMBEDDINGS,
  batchEmbedContents: GEN_AI_OPERATION_EMBEDDINGS,
};
const MODEL_METHODS = ['generateContent', 'generateContentStream'];
const LATER_MODEL_METHODS = ['countTokens', 'embedContent', 'batchEmbedContents'];
const CHAT_METHODS = ['sendMessage', 'sendMessageStream'];
const CLASSES = ['GenerativeModel', 'ChatSession'];

const modelClasses = classesMethods(
  [prototypeMethods('GenerativeModel', MODEL_METHODS, LATER_MODEL_METHODS)],
  [prototypeMethods('ChatSession', CHAT_METHODS)],
);

/**
 * @google/generative-ai (the end-of-life Gemini SDK, still under @langchain/google-genai) sends
 * every model request from a method of `GenerativeModel` or of the `ChatSession` that
 * `startChat()` returns, through module-private functions (`makeModelRequest` → `fetch`) of its
 * single-file bundle. Those async methods are the chokepoint: their first await is before any
 * request is built. A chat session calls the private functions, not the model's methods, so a
 * call is one patched method. The bundle is the entry module, so it is found there too. The
 * `/server` entry (file uploads, caches) runs no model and is not patched.
 */
export const googleGenerativeAI: SdkDefinition = {
  module: '@google/generative-ai',
  supportedVersions: VERSIONS,
  patchPoints: [
    {
      versions: VERSIONS,
      files: ['dist/index.js', 'dist/index.mjs'],
      inEntryModule: true,
      label: modelClasses.label,
      locate: modelClasses.locate,
    },
  ],
  callSites: [
    ...[...MODEL_METHODS, ...LATER_MODEL_METHODS].map((m) => `google-generative-ai.GenerativeModel.${m}`),
    ...CHAT_METHODS.map((m) => `google-generative-ai.ChatSession.${m}`),
  ],
  userApi: {
    prefix: 'google-generative-ai',
    clients: CLASSES,
    classes: [
      { names: ['GenerativeModel'], methods: [...MODEL_METHODS, ...LATER_MODEL_METHODS] },
      { names: ['ChatSession'], methods: CHAT_METHODS },
    ],
  },
  describe(self, _args, name) {
    return {
      callSite: `google-generative-ai.${knownClassName(self, CLASSES)}.${name}`,
      provider: 'gcp.gemini',
      operation: ownEntry(OPERATION_BY_METHOD, name) ?? name,
      model: modelName((self as { model?: unknown } | null | undefined)?.model),
    };
  },
  // The methods are async: the SDK's own errors (a failed fetch, a bad request) arrive as a rejection.
  fail(_original, _self, _args, error) {
    return Promise.reject(error);
  },
};

/** `models/gemini-2.5-flash` → `gemini-2.5-flash`; a tuned model keeps its `tunedModels/` prefix. */
function modelName(model: unknown): string | undefined {
  if (typeof model !== 'string' || model === '') return undefined;
  return model.startsWith('models/') ? model.slice('models/'.length) : model;
}
