import { chatV2Reply, chatV2StreamBody } from '../../helpers/cohere';
import { CANARY } from '../../helpers/openai';
import type { ConformanceRow } from '../row';

const body = { model: 'command-a', messages: [{ role: 'user', content: CANARY }] };

/** CommonJS only: 'esm' is an ES module app importing it. */
export const cohereRow: ConformanceRow = {
  name: 'cohere',
  module: 'cohere-ai',
  versionDirs: ['cohere-8'],
  moduleSystems: ['cjs', 'esm'],
  server: 'http',
  reply: (_path, request) =>
    request.stream
      ? { type: 'text/event-stream', body: chatV2StreamBody('hel', 'lo') }
      : { type: 'application/json', body: JSON.stringify(chatV2Reply()) },
  client: ({ sdk, origin }) =>
    new sdk.CohereClientV2({ token: 'test-key', environment: origin, maxRetries: 0 }),
  call: async (client) => (await client.chat(body)).message.content[0].text,
  stream: async (client) => {
    let text = '';
    for await (const event of await client.chatStream(body)) {
      if (event.type === 'content-delta') text += event.delta?.message?.content?.text ?? '';
    }
    return text;
  },
  helpers: [
    {
      name: 'withRawResponse',
      run: async (client) => (await client.chat(body).withRawResponse()).data.message.content[0].text,
    },
  ],
  expect: {
    callSite: 'cohere.CohereClientV2.chat',
    provider: 'cohere',
    operation: 'chat',
    model: 'command-a',
  },
};
