import { generateContentReply, generateContentStreamBody } from '../../helpers/google-genai';
import { CANARY } from '../../helpers/openai';
import type { ConformanceRow } from '../row';

const params = { model: 'gemini-test', contents: CANARY };

export const googleGenAIRow: ConformanceRow = {
  name: 'google-genai',
  module: '@google/genai',
  versionDirs: ['google-genai-3'],
  moduleSystems: ['cjs', 'esm'],
  server: 'http',
  reply: (path) =>
    path.includes(':streamGenerateContent')
      ? { type: 'text/event-stream', body: generateContentStreamBody('hel', 'lo') }
      : { type: 'application/json', body: JSON.stringify(generateContentReply()) },
  client: ({ sdk, origin }) => new sdk.GoogleGenAI({ apiKey: 'test-key', httpOptions: { baseUrl: origin } }),
  call: async (client) => (await client.models.generateContent(params)).text,
  stream: async (client) => {
    let text = '';
    for await (const chunk of await client.models.generateContentStream(params)) text += chunk.text ?? '';
    return text;
  },
  helpers: [
    {
      name: 'chats.create().sendMessage',
      run: async (client) =>
        (await client.chats.create({ model: 'gemini-test' }).sendMessage({ message: CANARY })).text,
    },
  ],
  expect: {
    callSite: 'google-genai.GoogleGenAI.models',
    provider: 'gcp.gemini',
    operation: 'generate_content',
    model: 'gemini-test',
  },
};
