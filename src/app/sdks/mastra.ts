import { GEN_AI_OPERATION_INVOKE_AGENT } from '../semconv';
import { modelIdOf, providerOf } from './ai';
import { ownEntry, prototypeMethods, type SdkDefinition } from './definition';

/**
 * Mastra (`@mastra/core`) agents. Mastra does not use the `ai` package: it bundles its own copies
 * of the AI SDK, and of the providers and provider-utils behind its model router ('openai/gpt-5'),
 * into hash-named chunks of its dist, which no module hook names. A model object the app passes
 * (an `@ai-sdk/openai` model) is patched at its own class, but a router string never reaches a
 * patched class, so the agent's own entry methods are the patch point, and what they run (the
 * model, its requests, the agent's tools' transport) is covered: one record per agent call.
 * `@mastra/core/agent` exports the class, in both its ES module and CommonJS copies.
 */
const VERSIONS = '>=1.0.0 <2';

const AGENT_METHODS = ['generate', 'stream'];
/** Older or newer entry points, patched where the version has them. */
const OPTIONAL_METHODS = ['generateLegacy', 'streamLegacy', 'network', 'resumeGenerate', 'resumeStream'];

/** gen_ai.provider.name for the model router's provider ids that differ from OTel's names. */
const ROUTER_PROVIDERS: Record<string, string> = {
  google: 'gcp.gemini',
  'google-vertex': 'gcp.vertex_ai',
  'amazon-bedrock': 'aws.bedrock',
  azure: 'azure.ai.openai',
  mistral: 'mistral_ai',
  xai: 'x_ai',
};

export const mastra: SdkDefinition = {
  module: '@mastra/core',
  supportedVersions: VERSIONS,
  coversInnerCalls: true,
  patchPoints: [
    {
      versions: VERSIONS,
      files: ['dist/agent/index.js', 'dist/agent/index.cjs'],
      ...prototypeMethods('Agent', AGENT_METHODS, OPTIONAL_METHODS),
    },
  ],
  callSites: [...AGENT_METHODS, ...OPTIONAL_METHODS].map((method) => `mastra.Agent.${method}`),
  userApi: {
    prefix: 'mastra',
    clients: [],
    classes: [{ names: ['Agent'], methods: [...AGENT_METHODS, ...OPTIONAL_METHODS] }],
  },
  describe(self, args, name) {
    // A model given for this call (options.model) wins over the agent's own.
    const options = args[1] as { model?: unknown } | null | undefined;
    const model = options?.model ?? (self as { model?: unknown } | null | undefined)?.model;
    const { provider, id } = describeModel(model);
    return {
      callSite: `mastra.Agent.${name}`,
      provider,
      operation: GEN_AI_OPERATION_INVOKE_AGENT,
      model: id,
    };
  },
  // Every entry method is async: Mastra's own errors arrive as the promise's rejection.
  fail(_original, _self, _args, error) {
    return Promise.reject(error);
  },
};

/**
 * The agent's model: a router id ('openai/gpt-5'), a model object, a fallback list (its first
 * entry is tried first) or a function of the request (unknown until it runs).
 */
function describeModel(model: unknown): { provider: string; id?: string } {
  if (Array.isArray(model)) return describeModel((model[0] as { model?: unknown } | undefined)?.model);
  if (typeof model === 'string') {
    const slash = model.indexOf('/');
    if (slash <= 0) return { provider: 'unknown', id: model };
    const router = model.slice(0, slash);
    return { provider: ownEntry(ROUTER_PROVIDERS, router) ?? router, id: model.slice(slash + 1) };
  }
  if (model !== null && typeof model === 'object') {
    // A router config object: { id: 'openai/gpt-5', url, apiKey } or { providerId, modelId }.
    const config = model as { id?: unknown; providerId?: unknown; modelId?: unknown; provider?: unknown };
    if (config.provider === undefined && typeof config.id === 'string') return describeModel(config.id);
    if (typeof config.providerId === 'string' && typeof config.modelId === 'string') {
      return describeModel(`${config.providerId}/${config.modelId}`);
    }
    return { provider: providerOf(model), id: modelIdOf(model) };
  }
  return { provider: 'unknown' };
}
