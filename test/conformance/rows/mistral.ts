import { chatReply, chatStreamBody, embeddingsReply, MISTRAL_MODEL } from '../../helpers/mistral';
import { CANARY } from '../../helpers/openai';
import type { ConformanceRow } from '../row';

const body = { model: MISTRAL_MODEL, messages: [{ role: 'user', content: CANARY }] };

/** ES module only: 'cjs' is a CommonJS app's require() of the ES module. */
export const mistralRow: ConformanceRow = {
  name: 'mistral',
  module: '@mistralai/mistralai',
  versionDirs: ['mistral-2'],
  moduleSystems: ['cjs', 'esm'],
  server: 'http',
  reply: (path, request) => {
    if (path.endsWith('/embeddings'))
      return { type: 'application/json', body: JSON.stringify(embeddingsReply()) };
    return request.stream
      ? { type: 'text/event-stream', body: chatStreamBody('hel', 'lo') }
      : { type: 'application/json', body: JSON.stringify(chatReply()) };
  },
  client: ({ sdk, origin }) =>
    new sdk.Mistral({ apiKey: 'test-key', serverURL: origin, retryConfig: { strategy: 'none' } }),
  call: async (client) => (await client.chat.complete(body)).choices[0].message.content,
  stream: async (client) => {
    let text = '';
    for await (const event of await client.chat.stream(body))
      text += event.data.choices[0]?.delta.content ?? '';
    return text;
  },
  helpers: [
    {
      name: 'embeddings.create',
      run: async (client) => {
        const reply = await client.embeddings.create({ model: 'mistral-embed', inputs: [CANARY] });
        return reply.data[0].embedding.length === 1 ? 'hello' : 'wrong embedding';
      },
    },
  ],
  expect: {
    callSite: 'mistral.Mistral.chat',
    provider: 'mistral_ai',
    operation: 'chat',
    model: MISTRAL_MODEL,
  },
};
