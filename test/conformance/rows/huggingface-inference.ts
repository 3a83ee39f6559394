import { CANARY, chatCompletion, chatStreamBody } from '../../helpers/openai';
import type { ConformanceRow, MockReply } from '../row';

const MODEL = 'meta-llama/Llama-3.1-8B-Instruct';
const chat = { model: MODEL, messages: [{ role: 'user', content: CANARY }] };

const json = (value: unknown): MockReply => ({ type: 'application/json', body: JSON.stringify(value) });

/** A dedicated endpoint (the client's endpointUrl): OpenAI-style chat, embeddings, text generation. */
function reply(path: string, request: Record<string, unknown>): MockReply {
  if (path.startsWith('/embed')) return json([[0.5, 0.25]]);
  // 4.13 sends text generation OpenAI-style (/v1/completions); older 4.x post to the endpoint itself.
  if (path.startsWith('/generate/v1/completions')) return json({ choices: [{ text: 'hello' }] });
  if (path.startsWith('/generate')) return json([{ generated_text: 'hello' }]);
  return request.stream ? { type: 'text/event-stream', body: chatStreamBody() } : json(chatCompletion());
}

/** A client for the local endpoint, under `path` (each task answered by its own path). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const endpointClient = (sdk: Record<string, any>, origin: string, path = '') =>
  new sdk.InferenceClient('hf_test', { endpointUrl: `${origin}${path}` });

/** ES module and CommonJS builds (dist/esm, dist/commonjs); both share the patched request.js. */
export const huggingfaceInferenceRow: ConformanceRow = {
  name: 'huggingface-inference',
  module: '@huggingface/inference',
  versionDirs: ['inference-clients'],
  moduleSystems: ['cjs', 'esm'],
  server: 'http',
  reply,
  client: ({ sdk, origin }) => endpointClient(sdk, origin),
  call: async (client) => (await client.chatCompletion(chat)).choices[0].message.content,
  stream: async (client) => {
    let text = '';
    for await (const chunk of client.chatCompletionStream(chat))
      text += chunk.choices[0]?.delta.content ?? '';
    return text;
  },
  helpers: [
    {
      name: 'chatCompletion (the standalone function)',
      run: async (_client, { sdk, origin }) =>
        (await sdk.chatCompletion({ ...chat, accessToken: 'hf_test', endpointUrl: origin })).choices[0]
          .message.content,
    },
    {
      name: 'featureExtraction',
      run: async (_client, { sdk, origin }) => {
        const vectors = await endpointClient(sdk, origin, '/embed').featureExtraction({
          model: 'e',
          inputs: CANARY,
        });
        return JSON.stringify(vectors) === '[[0.5,0.25]]' ? 'hello' : 'wrong embedding';
      },
    },
    {
      name: 'textGeneration',
      run: async (_client, { sdk, origin }) =>
        (await endpointClient(sdk, origin, '/generate').textGeneration({ model: 'g', inputs: CANARY }))
          .generated_text,
    },
  ],
  expect: {
    callSite: 'huggingface.chatCompletion',
    provider: 'hf-inference',
    operation: 'chat',
    model: MODEL,
  },
};
