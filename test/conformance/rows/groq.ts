import { CANARY } from '../../helpers/openai';
import type { ConformanceRow } from '../row';
import { chatReply, streamedText } from './openai';

const body = { model: 'llama-test', messages: [{ role: 'user', content: CANARY }] };

export const groqRow: ConformanceRow = {
  name: 'groq',
  module: 'groq-sdk',
  versionDirs: ['groq-1'],
  moduleSystems: ['cjs', 'esm'],
  server: 'http',
  reply: chatReply,
  client: ({ sdk, origin }) => new sdk.Groq({ apiKey: 'test-key', baseURL: origin, maxRetries: 0 }),
  call: async (client) => (await client.chat.completions.create(body)).choices[0].message.content,
  stream: async (client) => streamedText(await client.chat.completions.create({ ...body, stream: true })),
  helpers: [
    {
      name: 'withResponse',
      run: async (client) =>
        (await client.chat.completions.create(body).withResponse()).data.choices[0].message.content,
    },
  ],
  expect: { callSite: 'groq.Groq.chat', provider: 'groq', operation: 'chat', model: 'llama-test' },
};
