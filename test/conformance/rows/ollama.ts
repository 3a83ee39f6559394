import { CANARY } from '../../helpers/openai';
import type { ConformanceRow, MockReply } from '../row';

const MODEL = 'llama3.2';
const chat = (stream: boolean) => ({ model: MODEL, messages: [{ role: 'user', content: CANARY }], stream });

const json = (value: object): MockReply => ({ type: 'application/json', body: JSON.stringify(value) });

/** Ollama's endpoints; /api/chat with stream: true answers NDJSON, one message per line. */
function reply(path: string, request: Record<string, unknown>): MockReply {
  switch (path) {
    case '/api/chat': {
      if (!request.stream)
        return json({ model: MODEL, message: { role: 'assistant', content: 'hello' }, done: true });
      const line = (content: string, done: boolean) =>
        JSON.stringify({ model: MODEL, message: { role: 'assistant', content }, done });
      return { type: 'application/x-ndjson', body: `${line('hel', false)}\n${line('lo', true)}\n` };
    }
    case '/api/generate':
      return json({ model: MODEL, response: 'hello', done: true });
    case '/api/embed':
      return json({ model: MODEL, embeddings: [[0.5]] });
    case '/api/embeddings':
      return json({ embedding: [0.5] });
    default:
      return json({});
  }
}

const oneValue = (values: unknown[]) => (values.length === 1 ? 'hello' : 'wrong embedding');

/** ollama ships dist/index.cjs and dist/index.mjs (each over its browser build, the patch point). */
export const ollamaRow: ConformanceRow = {
  name: 'ollama',
  module: 'ollama',
  versionDirs: ['ollama-0'],
  moduleSystems: ['cjs', 'esm'],
  server: 'http',
  reply,
  client: ({ sdk, origin }) => new sdk.Ollama({ host: origin }),
  call: async (client) => (await client.chat(chat(false))).message.content,
  stream: async (client) => {
    let text = '';
    for await (const part of await client.chat(chat(true))) text += part.message.content;
    return text;
  },
  helpers: [
    {
      name: 'generate',
      run: async (client) => (await client.generate({ model: MODEL, prompt: CANARY })).response,
    },
    {
      name: 'embed',
      // A 0.5 patch release added it.
      available: (client) => typeof client.embed === 'function',
      run: async (client) => oneValue((await client.embed({ model: MODEL, input: CANARY })).embeddings),
    },
    {
      name: 'embeddings',
      run: async (client) => oneValue((await client.embeddings({ model: MODEL, prompt: CANARY })).embedding),
    },
  ],
  expect: { callSite: 'ollama.Ollama.chat', provider: 'ollama', operation: 'chat', model: MODEL },
};
