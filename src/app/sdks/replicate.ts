import type { PatchTarget, SdkDefinition } from './definition';
import { exportedFunctions } from './definition';

/** 0.20 is the copy litellm 0.12 loads; 1.x has the same layout. */
const VERSIONS = '>=0.20.0 <2';

/**
 * A prediction runs a model on Replicate: whatever the model (text, image, audio), no content
 * tells which predefined gen_ai.operation.name fits, so Replicate's own word is used.
 */
const OPERATION_PREDICTION = 'prediction';

/**
 * replicate runs a model by creating a prediction: `run()` and `stream()` call
 * `predictions.create`, and deployments have their own `deployments.predictions.create`. The
 * client binds both from lib/predictions.js and lib/deployments.js when it is constructed, so
 * the functions are patched in those files' exports, before any input file is uploaded or the
 * prediction request is sent. The polling of a running prediction (`predictions.get`) and the
 * management calls (models, files, webhooks) are not model calls and are not checked; neither
 * are trainings (fine-tuning jobs) nor a raw `replicate.request('/predictions', …)`.
 */
export const replicate: SdkDefinition = {
  module: 'replicate',
  supportedVersions: VERSIONS,
  patchPoints: [
    { versions: VERSIONS, files: ['lib/predictions.js'], ...exportedFunctions('create') },
    {
      versions: VERSIONS,
      files: ['lib/deployments.js'],
      label: 'deployments.predictions.create',
      locate: deploymentPredictionCreate,
    },
  ],
  callSites: ['replicate.Replicate.predictions', 'replicate.Replicate.deployments'],
  userApi: {
    prefix: 'replicate',
    clients: ['Replicate'],
    classes: [{ names: ['Replicate'], methods: ['run', 'stream'] }],
  },
  describe(_self, args) {
    // deployments.predictions.create(owner, name, options); predictions.create(options).
    if (typeof args[0] === 'string') {
      return {
        callSite: 'replicate.Replicate.deployments',
        provider: 'replicate',
        operation: OPERATION_PREDICTION,
        model: typeof args[1] === 'string' ? `${args[0]}/${args[1]}` : undefined,
      };
    }
    return {
      callSite: 'replicate.Replicate.predictions',
      provider: 'replicate',
      operation: OPERATION_PREDICTION,
      model: predictionModel(args[0]),
    };
  },
  // Both are async functions: their errors are their rejection, and run() / stream() pass it on.
  fail(_original, _self, _args, error) {
    return Promise.reject(error);
  },
};

function deploymentPredictionCreate(exports: unknown): PatchTarget[] {
  const predictions = (exports as { predictions?: unknown } | null | undefined)?.predictions;
  if (predictions === null || typeof predictions !== 'object') return [];
  return typeof (predictions as { create?: unknown }).create === 'function'
    ? [{ owner: predictions, method: 'create' }]
    : [];
}

/** `{ model: 'owner/name' }` or `{ version: '<id>' }`; the input is never read. */
function predictionModel(options: unknown): string | undefined {
  if (options === null || typeof options !== 'object') return undefined;
  const { model, version } = options as { model?: unknown; version?: unknown };
  if (typeof model === 'string') return model;
  return typeof version === 'string' ? version : undefined;
}
