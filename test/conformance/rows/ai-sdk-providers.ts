import { embeddingReply } from '../../helpers/ai';
import { messageReply, messageStreamBody } from '../../helpers/anthropic';
import { MODEL_ID } from '../../helpers/bedrock';
import { generateContentReply, generateContentStreamBody } from '../../helpers/google-genai';
import { CANARY } from '../../helpers/openai';
import type { ConformanceRow, MockReply } from '../row';
import { chatReply } from './openai';

/**
 * The AI SDK's provider packages used directly, as frameworks use them: `model.doGenerate` and
 * `model.doStream` of the LanguageModel interface, no `ai` in between. ai-6 holds the 3.x providers
 * (CommonJS and ES module builds), ai-7 the 4.x ones and Bedrock 5 (ES module only, Node 22+).
 */

/** The LanguageModel interface's call options: one user message, the canary as its text. */
const PROMPT = { prompt: [{ role: 'user', content: [{ type: 'text', text: CANARY }] }] };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Untyped = any;
type Part = { type: string; text?: string; delta?: string; textDelta?: string; error?: unknown };

async function generatedText(model: Untyped): Promise<string> {
  const result = (await model.doGenerate(PROMPT)) as { content: Part[] };
  return result.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
}

/** doStream's parts read to the end; an error part (the SDK's way to fail a stream) is thrown. */
async function streamedText(model: Untyped): Promise<string> {
  const { stream } = (await model.doStream(PROMPT)) as { stream: ReadableStream<Part> };
  let text = '';
  const reader = stream.getReader();
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    if (next.value.type === 'error') throw next.value.error;
    if (next.value.type === 'text-delta') text += next.value.delta ?? next.value.textDelta ?? '';
  }
  return text;
}

const json = (body: object): MockReply => ({ type: 'application/json', body: JSON.stringify(body) });

/** The rows share everything but the provider: how to make it and its model, and what it reports. */
function providerRow(spec: {
  name: string;
  module: string;
  versionDirs: string[];
  server: 'http' | 'bedrock';
  reply?: ConformanceRow['reply'];
  /** The provider instance, pointed at the mock. */
  provider(sdk: Record<string, Untyped>, origin: string): unknown;
  model(provider: Untyped): unknown;
  expect: { provider: string; model: string };
  helpers?: ConformanceRow['helpers'];
}): ConformanceRow {
  const prefix = `ai-sdk.${spec.module.slice('@ai-sdk/'.length)}`;
  return {
    name: spec.name,
    module: spec.module,
    versionDirs: spec.versionDirs,
    moduleSystems: ['cjs', 'esm'],
    server: spec.server,
    reply: spec.reply,
    client: ({ sdk, origin }) => spec.provider(sdk, origin),
    call: (provider) => generatedText(spec.model(provider)),
    stream: (provider) => streamedText(spec.model(provider)),
    helpers: spec.helpers ?? [],
    expect: {
      callSite: `${prefix}.doGenerate`,
      streamCallSite: `${prefix}.doStream`,
      operation: 'chat',
      ...spec.expect,
    },
  };
}

export const aiSdkOpenAIRow = providerRow({
  name: 'ai-sdk-openai',
  module: '@ai-sdk/openai',
  versionDirs: ['ai-6', 'ai-7'],
  server: 'http',
  reply: (path, request) =>
    path.endsWith('/embeddings') ? json(embeddingReply()) : chatReply(path, request),
  provider: (sdk, origin) => sdk.createOpenAI({ baseURL: `${origin}/v1`, apiKey: 'test-key' }),
  model: (openai) => openai.chat('gpt-test'),
  expect: { provider: 'openai', model: 'gpt-test' },
  helpers: [
    {
      name: 'embedding model doEmbed',
      run: async (openai) => {
        const { embeddings } = await openai.embedding('emb').doEmbed({ values: [CANARY] });
        return embeddings[0].length === 2 ? 'hello' : `embedding of ${embeddings[0].length}`;
      },
    },
  ],
});

export const aiSdkAnthropicRow = providerRow({
  name: 'ai-sdk-anthropic',
  module: '@ai-sdk/anthropic',
  versionDirs: ['ai-6', 'ai-7'],
  server: 'http',
  reply: (_path, request) =>
    request.stream ? { type: 'text/event-stream', body: messageStreamBody() } : json(messageReply()),
  provider: (sdk, origin) => sdk.createAnthropic({ baseURL: `${origin}/v1`, apiKey: 'test-key' }),
  model: (anthropic) => anthropic('claude-test'),
  expect: { provider: 'anthropic', model: 'claude-test' },
});

export const aiSdkGoogleRow = providerRow({
  name: 'ai-sdk-google',
  module: '@ai-sdk/google',
  versionDirs: ['ai-6', 'ai-7'],
  server: 'http',
  reply: (path) =>
    path.includes(':streamGenerateContent')
      ? { type: 'text/event-stream', body: generateContentStreamBody('hel', 'lo') }
      : json(generateContentReply()),
  provider: (sdk, origin) =>
    sdk.createGoogleGenerativeAI({ baseURL: `${origin}/v1beta`, apiKey: 'test-key' }),
  model: (google) => google('gemini-test'),
  expect: { provider: 'gcp.gemini', model: 'gemini-test' },
});

/** Converse and ConverseStream over fetch, signed by aws4fetch: the Bedrock stand-in's HTTP/1.1 side. */
export const aiSdkBedrockRow = providerRow({
  name: 'ai-sdk-amazon-bedrock',
  module: '@ai-sdk/amazon-bedrock',
  versionDirs: ['ai-7'],
  server: 'bedrock',
  provider: (sdk, origin) =>
    sdk.createAmazonBedrock({
      baseURL: origin,
      region: 'us-east-1',
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'test-secret',
    }),
  model: (bedrock) => bedrock(MODEL_ID),
  expect: { provider: 'aws.bedrock', model: MODEL_ID },
});
