import { embeddingReply } from '../../helpers/ai';
import { CANARY } from '../../helpers/openai';
import type { ConformanceRow } from '../row';
import { chatReply } from './openai';

/** @ai-sdk/openai's major for each ai major (the provider spec version they share). */
const PROVIDER_MAJOR: Record<string, string> = { '6': '3', '7': '4' };

export const aiRow: ConformanceRow = {
  name: 'ai',
  module: 'ai',
  versionDirs: ['ai-6', 'ai-7'],
  moduleSystems: ['cjs', 'esm'],
  companions: (version) => [`@ai-sdk/openai@${PROVIDER_MAJOR[version.split('.')[0]] ?? 'latest'}`],
  server: 'http',
  reply: (path, request) =>
    path.endsWith('/embeddings')
      ? { type: 'application/json', body: JSON.stringify(embeddingReply()) }
      : chatReply(path, request),
  client: async ({ load, origin }) => {
    const { createOpenAI } = await load('@ai-sdk/openai');
    return createOpenAI({ baseURL: `${origin}/v1`, apiKey: 'test-key' });
  },
  call: async (openai, { sdk }) =>
    (await sdk.generateText({ model: openai.chat('gpt-test'), prompt: CANARY })).text,
  stream: async (openai, { sdk }) => {
    const result = sdk.streamText({ model: openai.chat('gpt-test'), prompt: CANARY });
    let text = '';
    // A blocked call arrives the SDK's way, as an error part of its own stream.
    for await (const part of result.fullStream) {
      if (part.type === 'error') throw part.error;
      if (part.type === 'text-delta') text += part.text ?? part.textDelta ?? part.delta ?? '';
    }
    return text;
  },
  helpers: [
    {
      name: 'embed',
      run: async (openai, { sdk }) => {
        const { embedding } = await sdk.embed({ model: openai.embedding('emb'), value: CANARY });
        return embedding.length === 2 ? 'hello' : `embedding of ${embedding.length}`;
      },
    },
  ],
  expect: {
    callSite: 'ai.generateText',
    streamCallSite: 'ai.streamText',
    provider: 'openai',
    operation: 'chat',
    model: 'gpt-test',
  },
};
