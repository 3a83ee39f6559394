import { GEN_AI_OPERATION_CHAT, GEN_AI_OPERATION_EMBEDDINGS } from '../semconv';
import { exportedFunctions, type SdkDefinition } from './definition';

/**
 * litellm (the JS port, CommonJS only) defines `completion` and `embedding` in their own files;
 * its index re-exports them through getters that read those files' exports on every access,
 * so the wrappers put there are what `require('litellm').completion` returns. Both are async
 * and pick a handler by model name, which calls a bundled SDK (openai 4, @anthropic-ai/sdk
 * 0.6, cohere-ai 6) or fetch: the litellm call is the one reported, the inner call is covered.
 * 0.7.1 and 0.12.0, the versions the npm registry lists, both have this layout.
 */
const VERSIONS = '>=0.7.1 <0.13';

/**
 * litellm's handler tables, in their order: it takes the first pattern found anywhere in the
 * model name (so 'ollama/gpt-oss' goes to its OpenAI handler). Handlers without a
 * gen_ai.provider.name of their own (ai21, replicate, deepinfra) report as 'litellm'.
 */
const COMPLETION_PROVIDERS: ReadonlyArray<readonly [pattern: string, provider: string]> = [
  ['claude-', 'anthropic'],
  ['gpt-', 'openai'],
  ['openai/', 'openai'],
  ['command', 'cohere'],
  ['ollama/', 'ollama'],
  ['j2-', 'litellm'],
  ['replicate/', 'litellm'],
  ['deepinfra/', 'litellm'],
  ['mistral/', 'mistral_ai'],
];

const EMBEDDING_PROVIDERS: ReadonlyArray<readonly [pattern: string, provider: string]> = [
  ['text-embedding-', 'openai'],
  ['ollama/', 'ollama'],
  ['mistral/', 'mistral_ai'],
];

export const litellm: SdkDefinition = {
  module: 'litellm',
  supportedVersions: VERSIONS,
  patchPoints: [
    { versions: VERSIONS, files: ['dist/src/completion.js'], ...exportedFunctions('completion') },
    { versions: VERSIONS, files: ['dist/src/embedding.js'], ...exportedFunctions('embedding') },
  ],
  callSites: ['litellm.completion', 'litellm.embedding'],
  userApi: { prefix: 'litellm', clients: [], functions: ['completion', 'embedding'] },
  coversInnerCalls: true,
  describe(_self, args, name) {
    const model = requestModel(args[0]);
    const isEmbedding = name === 'embedding';
    return {
      callSite: `litellm.${name}`,
      provider: providerOf(model, isEmbedding ? EMBEDDING_PROVIDERS : COMPLETION_PROVIDERS),
      operation: isEmbedding ? GEN_AI_OPERATION_EMBEDDINGS : GEN_AI_OPERATION_CHAT,
      model,
    };
  },
  // Both functions are async, streams included (a promise of an async iterable): litellm's own
  // errors arrive as a rejection, and so does the guard's.
  fail(_original, _self, _args, error) {
    return Promise.reject(error);
  },
};

/** The `model` field of the params object; nothing else of it is read. */
function requestModel(params: unknown): string | undefined {
  if (params === null || typeof params !== 'object') return undefined;
  const model = (params as { model?: unknown }).model;
  return typeof model === 'string' ? model : undefined;
}

function providerOf(
  model: string | undefined,
  table: ReadonlyArray<readonly [pattern: string, provider: string]>,
): string {
  if (model === undefined) return 'litellm';
  return table.find(([pattern]) => model.includes(pattern))?.[1] ?? 'litellm';
}
