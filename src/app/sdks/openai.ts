import {
  GEN_AI_OPERATION_CHAT,
  GEN_AI_OPERATION_EMBEDDINGS,
  GEN_AI_OPERATION_TEXT_COMPLETION,
} from '../semconv';
import { stainlessSdk } from './stainless';

export const openai = stainlessSdk({
  module: 'openai',
  callSitePrefix: 'openai',
  supportedVersions: '>=4.0.0 <8',
  layouts: [
    { versions: '>=4.0.0 <5', files: ['core.js', 'core.mjs'], exportName: 'APIClient' },
    { versions: '>=5.0.0 <8', files: ['client.js', 'client.mjs'], exportName: 'OpenAI' },
  ],
  callSites: ['openai.OpenAI.<resource>', 'openai.AzureOpenAI.<resource>', 'openai.BedrockOpenAI.<resource>'],
  clientClasses: ['AzureOpenAI', 'BedrockOpenAI', 'OpenAI'],
  // Webhook signature checks run locally.
  localMethods: ['unwrap', 'verifySignature'],
  provider: (clientClass) =>
    clientClass === 'AzureOpenAI'
      ? 'azure.ai.openai'
      : clientClass === 'BedrockOpenAI'
        ? 'aws.bedrock'
        : 'openai',
  operations: {
    chat: GEN_AI_OPERATION_CHAT,
    responses: GEN_AI_OPERATION_CHAT,
    completions: GEN_AI_OPERATION_TEXT_COMPLETION,
    embeddings: GEN_AI_OPERATION_EMBEDDINGS,
  },
});
