import { GEN_AI_OPERATION_CHAT, GEN_AI_OPERATION_EMBEDDINGS } from '../semconv';
import { stainlessSdk } from './stainless';

/** groq-sdk: OpenAI-compatible paths under /openai/v1/. */
export const groq = stainlessSdk({
  module: 'groq-sdk',
  callSitePrefix: 'groq',
  supportedVersions: '>=0.3.0 <2',
  layouts: [
    // 0.x keeps methodRequest on APIClient; 1.x (from 1.1.1, the first release) on the client.
    { versions: '>=0.3.0 <1', files: ['core.js', 'core.mjs'], exportName: 'APIClient' },
    { versions: '>=1.0.0 <2', files: ['client.js', 'client.mjs'], exportName: 'Groq' },
  ],
  callSites: ['groq.Groq.chat', 'groq.Groq.embeddings', 'groq.Groq.audio'],
  clientClasses: ['Groq'],
  provider: () => 'groq',
  pathPrefix: 'openai/v1/',
  operations: {
    chat: GEN_AI_OPERATION_CHAT,
    embeddings: GEN_AI_OPERATION_EMBEDDINGS,
  },
});
