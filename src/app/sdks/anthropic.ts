import { GEN_AI_OPERATION_CHAT, GEN_AI_OPERATION_TEXT_COMPLETION } from '../semconv';
import { stainlessSdk } from './stainless';

const PROVIDERS: Record<string, string> = {
  AnthropicBedrock: 'aws.bedrock',
  AnthropicBedrockMantle: 'aws.bedrock',
  AnthropicVertex: 'gcp.vertex_ai',
};

/**
 * @anthropic-ai/sdk. The Bedrock and Vertex clients (@anthropic-ai/bedrock-sdk,
 * @anthropic-ai/vertex-sdk) extend the same base client and load `@anthropic-ai/sdk/client`
 * directly, so the hook on client.js/client.mjs patches them too; they still call methodRequest
 * with the canonical /v1/... path and rewrite the URL later, inside the request's middleware.
 * Beta calls (/v1/messages?beta=true) are named after their resource like the others.
 */
export const anthropic = stainlessSdk({
  module: '@anthropic-ai/sdk',
  callSitePrefix: 'anthropic',
  supportedVersions: '>=0.20.0 <2',
  layouts: [
    // 0.20 to 0.41 keep methodRequest on APIClient; 0.50 (the next release) moved it to the client.
    { versions: '>=0.20.0 <0.50.0', files: ['core.js', 'core.mjs'], exportName: 'APIClient' },
    { versions: '>=0.50.0 <2', files: ['client.js', 'client.mjs'], exportName: 'Anthropic' },
  ],
  callSites: [
    'anthropic.Anthropic.messages',
    'anthropic.Anthropic.completions',
    'anthropic.AnthropicBedrock.messages',
    'anthropic.AnthropicBedrockMantle.messages',
    'anthropic.AnthropicVertex.messages',
  ],
  clientClasses: ['AnthropicBedrockMantle', 'AnthropicBedrock', 'AnthropicVertex', 'Anthropic'],
  provider: (clientClass) => PROVIDERS[clientClass] ?? 'anthropic',
  pathPrefix: 'v1/',
  // The legacy Text Completions API is POST /v1/complete.
  resourceNames: { complete: 'completions' },
  operations: {
    messages: GEN_AI_OPERATION_CHAT,
    completions: GEN_AI_OPERATION_TEXT_COMPLETION,
  },
});
