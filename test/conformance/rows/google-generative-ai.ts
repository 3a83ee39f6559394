import { CANARY } from '../../helpers/openai';
import type { ConformanceRow, MockReply } from '../row';
import { sendHostTo } from './redirect-fetch';

const MODEL = 'gemini-1.5-flash';

const candidate = (text: string) => ({
  candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP', index: 0 }],
});

/**
 * generateContent answers JSON; streamGenerateContent (?alt=sse) one server-sent event, ended by
 * CRLF CRLF as Google's API ends them: 0.1's parser reads one `data: …\r\n` event per network read
 * and drops the rest of that read, so a second event in the same write would be lost.
 */
function reply(path: string): MockReply {
  if (path.includes(':streamGenerateContent')) {
    return { type: 'text/event-stream', body: `data: ${JSON.stringify(candidate('hello'))}\r\n\r\n` };
  }
  if (path.includes(':embedContent'))
    return { type: 'application/json', body: '{"embedding":{"values":[0.5]}}' };
  if (path.includes(':countTokens')) return { type: 'application/json', body: '{"totalTokens":1}' };
  return { type: 'application/json', body: JSON.stringify(candidate('hello')) };
}

type Stream = { stream: AsyncIterable<{ text(): string }> };

async function streamedText(result: Promise<Stream>): Promise<string> {
  let text = '';
  for await (const chunk of (await result).stream) text += chunk.text();
  return text;
}

/** The client is a GenerativeModel, as getGenerativeModel() hands it out. */
export const googleGenerativeAIRow: ConformanceRow = {
  name: 'google-generative-ai',
  module: '@google/generative-ai',
  versionDirs: ['google-generative-ai-0'],
  moduleSystems: ['cjs', 'esm'],
  server: 'http',
  reply,
  client: ({ sdk, origin }) => {
    // baseUrl came in a later 0.x; before it, the SDK always sends to its own host.
    sendHostTo('generativelanguage.googleapis.com', origin);
    return new sdk.GoogleGenerativeAI('test-key').getGenerativeModel({ model: MODEL }, { baseUrl: origin });
  },
  call: async (model) => (await model.generateContent(CANARY)).response.text(),
  stream: async (model) => streamedText(model.generateContentStream(CANARY)),
  helpers: [
    {
      name: 'startChat().sendMessage',
      run: async (model) => (await model.startChat().sendMessage(CANARY)).response.text(),
    },
    {
      name: 'startChat().sendMessageStream',
      run: async (model) => streamedText(model.startChat().sendMessageStream(CANARY)),
    },
    {
      name: 'embedContent',
      available: (model) => typeof model.embedContent === 'function',
      run: async (model) =>
        (await model.embedContent(CANARY)).embedding.values.length === 1 ? 'hello' : 'wrong embedding',
    },
    {
      name: 'countTokens',
      available: (model) => typeof model.countTokens === 'function',
      run: async (model) => ((await model.countTokens(CANARY)).totalTokens === 1 ? 'hello' : 'wrong count'),
    },
  ],
  expect: {
    callSite: 'google-generative-ai.GenerativeModel.generateContent',
    streamCallSite: 'google-generative-ai.GenerativeModel.generateContentStream',
    provider: 'gcp.gemini',
    operation: 'generate_content',
    model: MODEL,
  },
};
