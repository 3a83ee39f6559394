import { aiSdkProvider } from './ai-sdk-provider';

/**
 * The AI SDK's first-party providers, each patched at its model classes (see ai-sdk-provider.ts).
 * Versions: the majors that go with ai 6 and ai 7 (Bedrock: 5, the one tested).
 */
export const AI_SDK_PROVIDERS = [
  aiSdkProvider({ module: '@ai-sdk/openai', name: 'openai', supportedVersions: '>=3.0.0 <5' }),
  aiSdkProvider({
    module: '@ai-sdk/anthropic',
    name: 'anthropic',
    supportedVersions: '>=3.0.0 <5',
    // Anthropic has no embedding model.
    methods: ['doGenerate', 'doStream'],
  }),
  aiSdkProvider({ module: '@ai-sdk/google', name: 'google', supportedVersions: '>=3.0.0 <5' }),
  aiSdkProvider({
    module: '@ai-sdk/amazon-bedrock',
    name: 'amazon-bedrock',
    supportedVersions: '>=5.0.0 <6',
    // `@ai-sdk/amazon-bedrock/anthropic`: Anthropic's Messages API on Bedrock, its own provider.
    extraFiles: ['dist/anthropic/index.js'],
  }),
];
