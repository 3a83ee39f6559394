import { CANARY } from '../../helpers/openai';
import type { ConformanceRow } from '../row';
import { chatReply, streamedText } from './openai';

const params = (origin: string) => ({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: CANARY }],
  baseUrl: `${origin}/v1`,
  apiKey: 'test-key',
});

/** CommonJS only: 'esm' is an ES module app importing it. */
export const litellmRow: ConformanceRow = {
  name: 'litellm',
  module: 'litellm',
  versionDirs: ['litellm-0'],
  moduleSystems: ['cjs', 'esm'],
  server: 'http',
  reply: chatReply,
  client: ({ sdk, origin }) => {
    // litellm before 0.8 hands the openai client neither apiKey nor baseUrl: it reads the environment.
    process.env.OPENAI_API_KEY ??= 'test-key';
    process.env.OPENAI_BASE_URL ??= `${origin}/v1`;
    return sdk;
  },
  call: async (litellm, { origin }) => (await litellm.completion(params(origin))).choices[0].message.content,
  stream: async (litellm, { origin }) =>
    streamedText(await litellm.completion({ ...params(origin), stream: true })),
  helpers: [],
  expect: { callSite: 'litellm.completion', provider: 'openai', operation: 'chat', model: 'gpt-4o-mini' },
};
