import {
  GEN_AI_OPERATION_CHAT,
  GEN_AI_OPERATION_EMBEDDINGS,
  GEN_AI_OPERATION_TEXT_COMPLETION,
} from '../semconv';
import { modelIdOf, providerOf } from './ai';
import { findMethodOwner, type PatchTarget, type SdkDefinition } from './definition';

/**
 * An AI SDK provider package (`@ai-sdk/openai`, ...) used directly through the LanguageModel
 * interface, as `ai`'s functions, Mastra and other frameworks use it: `model.doGenerate(...)`.
 * The model's own methods are the patch point: the model names its provider and model id, and
 * the user's call enters them synchronously, so the call site and the covered-scope rule see the
 * caller (provider-utils' request helpers run only after the model's first `await`, where a tool's
 * own call could not be told from the model's transport). What they send through
 * `@ai-sdk/provider-utils`, aws4fetch and fetch is the call's transport (coversInnerCalls).
 */
export interface AiSdkProviderSpec {
  module: string;
  /** Second segment of the call-site names: `ai-sdk.openai.doGenerate`. */
  name: string;
  supportedVersions: string;
  /** Other entries with a provider instance of their own (Bedrock's `anthropic`), by file. */
  extraFiles?: readonly string[];
  /** The model methods its models have, for the README's call-site names (default: all three). */
  methods?: readonly string[];
}

/** The methods of the model interfaces that send a request (LanguageModel, EmbeddingModel, ...). */
const MODEL_METHODS = ['doGenerate', 'doStream', 'doEmbed'];

/**
 * For the scan: the model types of @ai-sdk/provider's specification versions 2 to 4, whose
 * request methods user code calls (`model.doGenerate(...)`); a provider's factories return them.
 */
const MODEL_TYPES = ['Language', 'Embedding', 'Image', 'Speech', 'Transcription', 'Video'].flatMap((kind) =>
  ['V2', 'V3', 'V4'].map((version) => `${kind}Model${version}`),
);
const MODEL_API = {
  prefix: 'ai-sdk',
  clients: [],
  declaredIn: '@ai-sdk/provider',
  classes: [{ names: MODEL_TYPES, methods: MODEL_METHODS }],
};

/** An id no provider knows: the factories only build a model object with it, nothing is sent. */
const PROBE_MODEL_ID = 'mima-guard-probe';

export function aiSdkProvider(spec: AiSdkProviderSpec): SdkDefinition {
  const prefix = `ai-sdk.${spec.name}`;
  return {
    module: spec.module,
    supportedVersions: spec.supportedVersions,
    // The model's requests (provider-utils, aws4fetch, fetch) and a model built on another
    // model (Google's Gemini image model, the extraction models) are one call.
    coversInnerCalls: true,
    patchPoints: [
      {
        versions: spec.supportedVersions,
        // The entry's default provider instance makes every model class the entry bundles; the
        // `internal` entry (a second bundle: Azure, Vertex and Bedrock's Anthropic build on it)
        // exports its classes.
        files: [
          'dist/index.js',
          'dist/index.mjs',
          'dist/internal/index.js',
          'dist/internal/index.mjs',
          ...(spec.extraFiles ?? []),
        ],
        inEntryModule: true,
        label: 'model classes.doGenerate|doStream|doEmbed',
        locate: modelMethods,
      },
    ],
    callSites: (spec.methods ?? MODEL_METHODS).map((method) => `${prefix}.${method}`),
    userApi: MODEL_API,
    describe(self, _args, name) {
      return {
        callSite: `${prefix}.${name}`,
        provider: providerOf(self),
        operation: operationOf(self, name),
        model: modelIdOf(self),
      };
    },
    // Every model method is async (PromiseLike by the specification): the SDK's own errors,
    // a failed request included, arrive as the promise's rejection. Nothing of it runs.
    fail(_original, _self, _args, error) {
      return Promise.reject(error);
    },
  };
}

/**
 * The model methods reachable from a provider entry's exports: the classes of the models its
 * provider instances make (the classes themselves are not exported), and exported model classes.
 */
function modelMethods(exports: unknown): PatchTarget[] {
  if (exports === null || (typeof exports !== 'object' && typeof exports !== 'function')) return [];
  const prototypes = new Set<object>();
  const creators: object[] = [];
  for (const key of Object.keys(exports)) {
    const value = readExport(exports, key);
    if (typeof value !== 'function') continue;
    if (isProviderInstance(value)) {
      for (const proto of probedModelPrototypes(value)) prototypes.add(proto);
    } else if (key.startsWith('create')) {
      creators.push(value);
    } else if (value.prototype) {
      prototypes.add(value.prototype as object);
    }
  }
  // A default instance whose factories need a setting from the environment (Bedrock's Anthropic
  // needs a region to build a model): a provider made with the settings given here instead.
  if (prototypes.size === 0) {
    for (const create of creators) {
      const provider = probeProvider(create);
      if (provider) for (const proto of probedModelPrototypes(provider)) prototypes.add(proto);
    }
  }
  const targets: PatchTarget[] = [];
  for (const proto of prototypes) {
    for (const method of MODEL_METHODS) {
      const owner = findMethodOwner(proto, method);
      if (owner && !targets.some((t) => t.owner === owner && t.method === method)) {
        targets.push({ owner, method });
      }
    }
  }
  return targets;
}

function readExport(exports: object, key: string): unknown {
  try {
    return (exports as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/** Settings every provider factory takes, so that none is read from the environment. */
const PROBE_SETTINGS = { baseURL: 'http://127.0.0.1:9', apiKey: 'mima-guard-probe', region: 'us-east-1' };

function probeProvider(create: object): object | undefined {
  try {
    const provider = (create as (settings: object) => unknown)(PROBE_SETTINGS);
    return typeof provider === 'function' && isProviderInstance(provider) ? provider : undefined;
  } catch {
    return undefined;
  }
}

/** A provider (ProviderV2 and later): a function with a `languageModel` factory. */
function isProviderInstance(value: object): boolean {
  return typeof (value as { languageModel?: unknown }).languageModel === 'function';
}

type AnyFunctionValue = (...args: unknown[]) => unknown;

/**
 * Each factory of the provider (`chat`, `responses`, `embedding`, `image`, ...: every function it
 * holds) called with a model id nobody serves: it builds a model object and sends nothing. A
 * factory that throws (a setting missing from the environment) is skipped.
 */
function probedModelPrototypes(provider: object): object[] {
  const found: object[] = [];
  for (const key of Object.getOwnPropertyNames(provider)) {
    if (key === 'prototype' || key === 'length' || key === 'name') continue;
    try {
      const factory = (provider as Record<string, unknown>)[key];
      if (typeof factory !== 'function') continue;
      const model = (factory as AnyFunctionValue).call(provider, PROBE_MODEL_ID);
      if (model !== null && typeof model === 'object') found.push(Object.getPrototypeOf(model) as object);
    } catch {
      // Not a model factory, or one that needs a setting: nothing to find there.
    }
  }
  return found;
}

/** gen_ai.operation.name by the model's kind; the kinds the OTel list lacks use ai's function name. */
function operationOf(model: unknown, method: string): string {
  if (method === 'doEmbed') return GEN_AI_OPERATION_EMBEDDINGS;
  if (model === null || typeof model !== 'object') return GEN_AI_OPERATION_CHAT;
  if ('maxImagesPerCall' in model) return 'generateImage';
  if ('maxVideosPerCall' in model) return 'generateVideo';
  const id = (model as { provider?: unknown }).provider;
  if (typeof id === 'string') {
    if (id.endsWith('.transcription')) return 'transcribe';
    if (id.endsWith('.speech')) return 'generateSpeech';
    if (id.endsWith('.completion')) return GEN_AI_OPERATION_TEXT_COMPLETION;
  }
  return GEN_AI_OPERATION_CHAT;
}
