import {
  GEN_AI_OPERATION_CHAT,
  GEN_AI_OPERATION_EMBEDDINGS,
  GEN_AI_OPERATION_TEXT_COMPLETION,
} from '../semconv';
import { exportedFunctions, ownEntry, type SdkDefinition } from './definition';
import { camelCaseAt } from './path-text';

const VERSIONS = '>=4.0.0 <5';

/** The primitives every task sends its inference request through. */
const REQUEST_FUNCTIONS = ['innerRequest', 'innerStreamingRequest'];

const OPERATION_BY_TASK: Record<string, string> = {
  conversational: GEN_AI_OPERATION_CHAT,
  'text-generation': GEN_AI_OPERATION_TEXT_COMPLETION,
  'feature-extraction': GEN_AI_OPERATION_EMBEDDINGS,
};

/** Call-site names per task where the user-facing function is not the task's camel-cased name. */
const FUNCTION_BY_TASK: Record<string, string> = { conversational: 'chatCompletion' };

/**
 * @huggingface/inference sends every task (chatCompletion, textGeneration, featureExtraction,
 * the custom request(), their streams) through `innerRequest` / `innerStreamingRequest` of
 * utils/request.js, which build the provider's URL (and look up the provider's mapping of the
 * model) and then call fetch; the tasks read them through the module's live exports, and
 * InferenceClient's methods call the tasks. So one patch point covers the standalone functions
 * and the client alike, before anything of the request is built. What can run before it: a task
 * without a provider may first ask the Hub which provider serves the model (metadata, no input).
 */
export const huggingfaceInference: SdkDefinition = {
  module: '@huggingface/inference',
  supportedVersions: VERSIONS,
  patchPoints: [
    {
      versions: VERSIONS,
      files: ['dist/commonjs/utils/request.js', 'dist/esm/utils/request.js'],
      ...exportedFunctions(...REQUEST_FUNCTIONS),
    },
  ],
  callSites: ['huggingface.chatCompletion', 'huggingface.featureExtraction', 'huggingface.<task>'],
  // The task functions the package exports, and InferenceClient's methods, which call them.
  userApi: {
    prefix: 'huggingface',
    clients: ['InferenceClient', 'InferenceClientEndpoint', 'HfInference'],
    functionsIn: ['dist/commonjs/tasks/', 'dist/esm/tasks/'],
    classes: [{ names: ['InferenceClient', 'InferenceClientEndpoint', 'HfInference'] }],
    localMethods: ['endpoint'],
  },
  describe(_self, args) {
    const task = taskOf(args[2]);
    return {
      callSite: `huggingface.${task === undefined ? 'request' : (ownEntry(FUNCTION_BY_TASK, task) ?? camelCaseAt(task, '-'))}`,
      provider: providerOf(args[1]),
      operation: (task !== undefined && ownEntry(OPERATION_BY_TASK, task)) || (task ?? 'unknown'),
      model: modelOf(args[0]),
    };
  },
  // innerRequest is async: its errors are its rejection. innerStreamingRequest is an async
  // generator that the tasks delegate to (`yield*`): its errors arrive at the first next().
  fail(_original, _self, _args, error, name) {
    if (name === 'innerStreamingRequest') return failingStream(error);
    return Promise.reject(error);
  },
};

// eslint-disable-next-line require-yield -- a stream whose first next() rejects, as the SDK's does
async function* failingStream(error: Error): AsyncGenerator<never> {
  throw error;
}

/** The task's options: `{ task: 'conversational' | 'feature-extraction' | … }`. */
function taskOf(options: unknown): string | undefined {
  const task = (options as { task?: unknown } | null | undefined)?.task;
  return typeof task === 'string' && task !== '' ? task : undefined;
}

/** The provider helper the task picked: `hf-inference`, `together`, `auto` (the Hub's router), … */
function providerOf(helper: unknown): string {
  const provider = (helper as { provider?: unknown } | null | undefined)?.provider;
  return typeof provider === 'string' && provider !== '' ? provider : 'huggingface';
}

/** The args' `model` (a Hub model id); the inputs and messages are never read. */
function modelOf(args: unknown): string | undefined {
  const model = (args as { model?: unknown } | null | undefined)?.model;
  return typeof model === 'string' ? model : undefined;
}
