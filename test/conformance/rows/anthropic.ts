import { messageBody, messageReply, messageStreamBody } from '../../helpers/anthropic';
import type { ConformanceRow } from '../row';

type Event = { type: string; delta?: { type: string; text?: string } };

async function streamedText(events: AsyncIterable<Event>): Promise<string> {
  let text = '';
  for await (const event of events) if (event.delta?.type === 'text_delta') text += event.delta.text;
  return text;
}

export const anthropicRow: ConformanceRow = {
  name: 'anthropic',
  module: '@anthropic-ai/sdk',
  versionDirs: ['anthropic-0.20', 'anthropic-1'],
  moduleSystems: ['cjs', 'esm'],
  server: 'http',
  reply: (_path, request) =>
    request.stream
      ? { type: 'text/event-stream', body: messageStreamBody() }
      : { type: 'application/json', body: JSON.stringify(messageReply()) },
  client: ({ sdk, origin }) =>
    new (sdk.Anthropic ?? sdk.default)({ apiKey: 'test-key', baseURL: origin, maxRetries: 0 }),
  call: async (client) => (await client.messages.create(messageBody)).content[0].text,
  stream: async (client) => streamedText(await client.messages.create({ ...messageBody, stream: true })),
  helpers: [
    {
      name: 'withResponse',
      run: async (client) => (await client.messages.create(messageBody).withResponse()).data.content[0].text,
    },
    {
      name: 'asResponse',
      attestedOnly: true,
      run: async (client) => {
        const response = await client.messages.create(messageBody).asResponse();
        return (await response.json()).content[0].text;
      },
    },
    {
      name: 'messages.stream (MessageStream)',
      run: async (client) => client.messages.stream(messageBody).finalText(),
    },
  ],
  expect: {
    callSite: 'anthropic.Anthropic.messages',
    provider: 'anthropic',
    operation: 'chat',
    model: 'claude-test',
  },
};
