import { CANARY, chatCompletion, chatStreamBody } from '../../helpers/openai';
import type { ConformanceRow, MockReply } from '../row';

const messages = [{ role: 'user', content: CANARY }];
const body = { model: 'gpt-test', messages };

/** An OpenAI-compatible chat endpoint: JSON, or server-sent events for stream: true. */
export function chatReply(path: string, request: Record<string, unknown>): MockReply {
  if (!path.includes('/chat/completions')) return { type: 'application/json', body: '{}' };
  return request.stream
    ? { type: 'text/event-stream', body: chatStreamBody() }
    : { type: 'application/json', body: JSON.stringify(chatCompletion()) };
}

type Chunk = { choices: Array<{ delta: { content?: string | null } }> };

export async function streamedText(stream: AsyncIterable<Chunk>): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
  return text;
}

/** openai 4 keeps parse/stream/runTools under beta.chat.completions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const helperHost = (client: any, version: string) =>
  version.startsWith('4.') ? client.beta?.chat?.completions : client.chat.completions;

/** A helper of chat.completions (beta in openai 4), present in this version. */
const has =
  (method: string) =>
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  (client: any, { version }: { version: string }) =>
    typeof helperHost(client, version)?.[method] === 'function';

const noopTool = {
  type: 'function',
  function: { name: 'noop', parameters: { type: 'object', properties: {} }, function: () => 'ok' },
};

export const openaiRow: ConformanceRow = {
  name: 'openai',
  module: 'openai',
  versionDirs: ['openai-4', 'openai-5', 'openai-6', 'openai-7'],
  moduleSystems: ['cjs', 'esm'],
  server: 'http',
  reply: chatReply,
  client: ({ sdk, origin }) => new sdk.OpenAI({ apiKey: 'test-key', baseURL: `${origin}/v1`, maxRetries: 0 }),
  call: async (client) => (await client.chat.completions.create(body)).choices[0].message.content,
  stream: async (client) => streamedText(await client.chat.completions.create({ ...body, stream: true })),
  helpers: [
    {
      name: 'withResponse',
      run: async (client) =>
        (await client.chat.completions.create(body).withResponse()).data.choices[0].message.content,
    },
    {
      name: 'asResponse',
      attestedOnly: true,
      run: async (client) => {
        const response = await client.chat.completions.create(body).asResponse();
        return (await response.json()).choices[0].message.content;
      },
    },
    {
      name: 'chat.completions.parse',
      available: has('parse'),
      run: async (client, { version }) =>
        (await helperHost(client, version).parse(body)).choices[0].message.content,
    },
    {
      name: 'chat.completions.stream',
      available: has('stream'),
      run: async (client, { version }) => helperHost(client, version).stream(body).finalContent(),
    },
    {
      name: 'chat.completions.runTools',
      available: has('runTools'),
      run: async (client, { version }) =>
        helperHost(client, version)
          .runTools({ ...body, tools: [noopTool] })
          .finalContent(),
    },
  ],
  expect: { callSite: 'openai.OpenAI.chat', provider: 'openai', operation: 'chat', model: 'gpt-test' },
};
