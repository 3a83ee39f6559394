import { CANARY } from '../../helpers/openai';
import type { ConformanceRow, MockReply } from '../row';
import { sendHostTo } from './redirect-fetch';

const MODEL = 'gemini-2.0-flash';
/** The SDK always sends to https://<apiEndpoint>/v1/…; sendHostTo sends that host to the mock. */
const ENDPOINT = 'vertex.test';
const contents = [{ role: 'user', parts: [{ text: CANARY }] }];

const candidate = (text: string) => ({
  candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP', index: 0 }],
});

function reply(path: string): MockReply {
  if (path.includes(':streamGenerateContent')) {
    const events = ['hel', 'lo'].map((text) => `data: ${JSON.stringify(candidate(text))}\n\n`);
    return { type: 'text/event-stream', body: events.join('') };
  }
  if (path.includes(':countTokens')) return { type: 'application/json', body: '{"totalTokens":1}' };
  return { type: 'application/json', body: JSON.stringify(candidate('hello')) };
}

type Response = { candidates?: Array<{ content: { parts: Array<{ text?: string }> } }> };
const textOf = (response: Response) => response.candidates?.[0].content.parts[0].text ?? '';

async function streamedText(result: Promise<{ stream: AsyncIterable<Response> }>): Promise<string> {
  let text = '';
  for await (const chunk of (await result).stream) text += textOf(chunk);
  return text;
}

/**
 * CommonJS only: 'esm' is an ES module app importing it. The client is the VertexAI instance, with
 * an auth client in place of google-auth-library's credential lookup (no real credentials).
 */
export const vertexAIRow: ConformanceRow = {
  name: 'vertexai',
  module: '@google-cloud/vertexai',
  versionDirs: ['vertexai-1'],
  moduleSystems: ['cjs', 'esm'],
  server: 'http',
  reply,
  client: ({ sdk, origin }) => {
    sendHostTo(ENDPOINT, origin);
    const authClient = { getAccessToken: () => Promise.resolve({ token: 'test-token' }) };
    // The constructor prints a deprecation notice with console.warn (stderr of the child).
    return new sdk.VertexAI({
      project: 'test-project',
      location: 'us-central1',
      apiEndpoint: ENDPOINT,
      googleAuthOptions: { authClient },
    });
  },
  call: async (vertex) =>
    textOf((await vertex.getGenerativeModel({ model: MODEL }).generateContent({ contents })).response),
  stream: async (vertex) =>
    streamedText(vertex.getGenerativeModel({ model: MODEL }).generateContentStream({ contents })),
  helpers: [
    {
      // Without params the session ignores the apiEndpoint (1.12 copies it only `if (request)`).
      name: 'startChat().sendMessage',
      run: async (vertex) =>
        textOf(
          (await vertex.getGenerativeModel({ model: MODEL }).startChat({}).sendMessage(CANARY)).response,
        ),
    },
    {
      name: 'startChat().sendMessageStream',
      run: async (vertex) =>
        streamedText(vertex.getGenerativeModel({ model: MODEL }).startChat({}).sendMessageStream(CANARY)),
    },
    {
      name: 'countTokens',
      run: async (vertex) =>
        (await vertex.getGenerativeModel({ model: MODEL }).countTokens({ contents })).totalTokens === 1
          ? 'hello'
          : 'wrong count',
    },
    {
      name: 'preview.getGenerativeModel().generateContent',
      available: (vertex) => typeof vertex.preview?.getGenerativeModel === 'function',
      run: async (vertex) =>
        textOf(
          (await vertex.preview.getGenerativeModel({ model: MODEL }).generateContent({ contents })).response,
        ),
    },
  ],
  expect: {
    callSite: 'vertexai.GenerativeModel.generateContent',
    streamCallSite: 'vertexai.GenerativeModel.generateContentStream',
    provider: 'gcp.vertex_ai',
    operation: 'generate_content',
    model: MODEL,
  },
};
