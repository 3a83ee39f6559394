import {
  GEN_AI_OPERATION_CHAT,
  GEN_AI_OPERATION_EMBEDDINGS,
  GEN_AI_OPERATION_INVOKE_AGENT,
} from '../semconv';
import {
  findMethodOwner,
  ownEntry,
  type AnyMethod,
  type PatchTarget,
  type SdkDefinition,
} from './definition';
import { withoutPrefix } from './path-text';
import { standInExports } from './stand-in-exports';

/**
 * The Vercel AI SDK (`ai`) 6 and 7. Every model call starts in one of its exported functions or
 * a ToolLoopAgent, whatever the provider (`@ai-sdk/openai` and the others send with fetch), so
 * those are patched where the app gets them, the package's entry module, and call sites read
 * `ai.generateText`. The SDK's own callers (an agent calling generateText) use the bundle's local
 * bindings, so no call is seen twice.
 */
const VERSIONS = '>=6.0.0 <8';

/** The exported functions that run a model, across ai 6 and 7; each copy patches those it has. */
const MODEL_FUNCTIONS = [
  'generateText',
  'streamText',
  'generateObject',
  'streamObject',
  'embed',
  'embedMany',
  'generateImage',
  'experimental_generateImage',
  'generateSpeech',
  'experimental_generateSpeech',
  'experimental_streamSpeech',
  'transcribe',
  'experimental_transcribe',
  'experimental_streamTranscribe',
  'experimental_streamTranslate',
  'experimental_generateVideo',
  'experimental_startVideo',
  'rerank',
  'experimental_streamTextLowMemory',
  'experimental_streamLanguageModelCall',
  'experimental_decide',
  'experimental_evaluate',
  'experimental_extract',
];

/** The agent class whose methods call generateText / streamText internally (so unpatched). */
const AGENT_CLASS = 'ToolLoopAgent';
const AGENT_METHODS = ['generate', 'stream'];

/** gen_ai.operation.name per function (without `experimental_`); the others use that name. */
const OPERATIONS: Record<string, string> = {
  generateText: GEN_AI_OPERATION_CHAT,
  streamText: GEN_AI_OPERATION_CHAT,
  generateObject: GEN_AI_OPERATION_CHAT,
  streamObject: GEN_AI_OPERATION_CHAT,
  streamTextLowMemory: GEN_AI_OPERATION_CHAT,
  streamLanguageModelCall: GEN_AI_OPERATION_CHAT,
  embed: GEN_AI_OPERATION_EMBEDDINGS,
  embedMany: GEN_AI_OPERATION_EMBEDDINGS,
  generate: GEN_AI_OPERATION_INVOKE_AGENT,
  stream: GEN_AI_OPERATION_INVOKE_AGENT,
};

/**
 * OpenTelemetry's well-known gen_ai.provider.name for AI SDK provider ids ('azure.chat',
 * 'google.vertex.chat'), by their first two segments, then the first; other ids ('openai.chat',
 * 'anthropic.messages', 'groq.chat', 'gateway') give their first segment.
 */
const PROVIDER_NAMES: Record<string, string> = {
  azure: 'azure.ai.openai',
  'amazon-bedrock': 'aws.bedrock',
  // Bedrock's Anthropic models: 'bedrock.anthropic.messages'.
  bedrock: 'aws.bedrock',
  'google.vertex': 'gcp.vertex_ai',
  google: 'gcp.gemini',
  mistral: 'mistral_ai',
  xai: 'x_ai',
};

/** A model's supportedUrls that keep every URL in the prompt as is: nothing is downloaded. */
const EVERY_URL = { '*/*': [/^/] };

export const ai: SdkDefinition = {
  module: 'ai',
  supportedVersions: VERSIONS,
  // A model provider built on another patched SDK, middleware and tools may call other patched
  // SDKs within one call: the ai call is the outermost, and the one record.
  coversInnerCalls: true,
  patchPoints: [
    {
      versions: VERSIONS,
      // Both majors bundle everything into the entry module, which the hooks name 'ai' when it is
      // loaded by that name; the file hooks catch an ES module import of the file by its path.
      files: ['dist/index.js', 'dist/index.mjs'],
      inEntryModule: true,
      // ai 6's CommonJS exports are a bundler's non-configurable getters: the app gets a stand-in.
      replaceExports: standInExports(MODEL_FUNCTIONS),
      label: 'generateText|streamText|…|ToolLoopAgent.generate|stream',
      locate: modelCallers,
    },
  ],
  callSites: [
    ...MODEL_FUNCTIONS.map((name) => `ai.${name}`),
    ...AGENT_METHODS.map((method) => `ai.${AGENT_CLASS}.${method}`),
  ],
  userApi: {
    prefix: 'ai',
    clients: [],
    functions: MODEL_FUNCTIONS,
    classes: [{ names: [AGENT_CLASS], methods: AGENT_METHODS }],
  },
  describe(self, args, name) {
    const agentCall = AGENT_METHODS.includes(name);
    const model = agentCall ? agentModel(self) : (args[0] as { model?: unknown } | undefined)?.model;
    const base = withoutPrefix(name, 'experimental_');
    return {
      callSite: agentCall ? `ai.${AGENT_CLASS}.${name}` : `ai.${name}`,
      provider: providerOf(model),
      operation: ownEntry(OPERATIONS, base) ?? base,
      model: modelIdOf(model),
    };
  },
  fail(original: AnyMethod, self, args, error) {
    // An async function's errors arrive as its promise's rejection: none of it runs, so nothing
    // (no image download, no user callback) happens before the rejection.
    if (Object.prototype.toString.call(original) === '[object AsyncFunction]') return Promise.reject(error);
    // streamText and the other stream functions return their result at once and deliver errors
    // through it (the stream's error part, onError, rejected promises). They run with a model whose
    // requests fail with the error, so the SDK delivers it its own way. Its steps before the request
    // still run (prompt checks, start callbacks), but the model takes every URL as is, so nothing is
    // downloaded; the error is not retried (only API and gateway errors are).
    const [options, ...rest] = args;
    const blocked = {
      ...(options as object),
      model: blockedModel((options as { model?: unknown })?.model, error),
    };
    return original.apply(self, [blocked, ...rest]);
  },
};

function modelCallers(exports: unknown): PatchTarget[] {
  if (exports === null || typeof exports !== 'object') return [];
  const module = exports as Record<string, unknown>;
  const functions = MODEL_FUNCTIONS.filter((name) => typeof module[name] === 'function').map((method) => ({
    owner: module,
    method,
  }));
  if (functions.length === 0) return [];
  const agent = module[AGENT_CLASS] as { prototype?: unknown } | undefined;
  const agentMethods = AGENT_METHODS.flatMap((method) => {
    const owner = findMethodOwner(agent?.prototype, method);
    return owner ? [{ owner, method }] : [];
  });
  return [...functions, ...agentMethods];
}

function agentModel(agent: unknown): unknown {
  return (agent as { settings?: { model?: unknown } } | null | undefined)?.settings?.model;
}

/**
 * A model object names its provider; a model id string goes to the default global provider: the
 * Vercel AI Gateway ('gateway', the AI SDK's own id for it), unless the app set another one.
 */
export function providerOf(model: unknown): string {
  if (typeof model === 'string') {
    return (globalThis as { AI_SDK_DEFAULT_PROVIDER?: unknown }).AI_SDK_DEFAULT_PROVIDER
      ? 'default'
      : 'gateway';
  }
  const id = (model as { provider?: unknown } | null | undefined)?.provider;
  if (typeof id !== 'string' || id === '') return 'unknown';
  const [first, second] = id.split('.');
  return ownEntry(PROVIDER_NAMES, `${first}.${second}`) ?? ownEntry(PROVIDER_NAMES, first) ?? first;
}

export function modelIdOf(model: unknown): string | undefined {
  if (typeof model === 'string') return model;
  const id = (model as { modelId?: unknown } | null | undefined)?.modelId;
  return typeof id === 'string' ? id : undefined;
}

/** The model, with every request method (doGenerate, doStream, doEmbed, …) failing with `error`. */
function blockedModel(model: unknown, error: Error): object {
  const reject = () => Promise.reject(error);
  if (model === null || typeof model !== 'object') {
    // A model id for the default provider: 'v3' is a model version both ai 6 and 7 accept.
    return {
      specificationVersion: 'v3',
      provider: providerOf(model),
      modelId: String(model),
      supportedUrls: EVERY_URL,
      doGenerate: reject,
      doStream: reject,
    };
  }
  const overrides: PropertyDescriptorMap = { supportedUrls: { value: EVERY_URL } };
  for (const method of requestMethods(model)) overrides[method] = { value: reject };
  return Object.create(model, overrides) as object;
}

function requestMethods(model: object): string[] {
  const methods = new Set<string>();
  for (let p: object | null = model; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const [name, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(p))) {
      if (/^do[A-Z]/.test(name) && typeof descriptor.value === 'function') methods.add(name);
    }
  }
  return [...methods];
}
