import * as path from 'node:path';
import { AI_7_RUNS_HERE, aiWorkspace } from './ai';
import { startProviderServer, type ProviderServer } from './ai-provider-server';
import { requireFrom } from './ai-providers';
import { ROOT, useGuard } from './guard';

/**
 * The privacy property's canaries and its cases for the AI SDK providers used directly
 * (`model.doGenerate(...)`) and for Mastra's Agent, against the local provider server
 * (test/reliability/privacy.test.ts runs them).
 */

/** Content canaries start with this; a model name canary with MODEL_MARK (the span may carry the model). */
export const CONTENT_MARK = 'LEAKX';
export const MODEL_MARK = 'MODELY';

/** What one property run puts in a request: content everywhere, and a model name. */
export interface Canaries {
  /** A content canary: the mark, a token, then arbitrary text (quotes, newlines, other scripts). */
  text: string;
  token: string;
  model: string;
}

/** Per SDK: how to make one request full of canaries (messages, system prompt, tools, metadata, headers). */
export interface PrivacyCase {
  module: string;
  runsHere: boolean;
  call?: (c: Canaries) => Promise<unknown>;
}

/** Header values must be ByteStrings (an SDK refuses others before any request): the ASCII part. */
export const canaryHeaders = (c: Canaries) => ({ 'x-canary': `${CONTENT_MARK}${c.token}` });

/** @mastra/core 1 declares Node >= 22.13 (ES module only). */
const [NODE_MAJOR, NODE_MINOR] = process.versions.node.split('.').map(Number);
const MASTRA_RUNS_HERE = NODE_MAJOR > 22 || (NODE_MAJOR === 22 && NODE_MINOR >= 13);
const MASTRA_WORKSPACE = path.join(ROOT, 'test', 'versions', 'mastra-1');

type DoGenerate = (modelId: string) => { doGenerate(options: object): Promise<unknown> };

/** The LanguageModel call options with a canary in every field a caller fills: prompt, tools, headers. */
function callOptions(c: Canaries, providerOptions: object = {}): object {
  return {
    prompt: [
      { role: 'system', content: c.text },
      { role: 'user', content: [{ type: 'text', text: c.text }] },
    ],
    tools: [{ type: 'function', name: 'f', description: c.text, inputSchema: { type: 'object' } }],
    headers: canaryHeaders(c),
    providerOptions,
  };
}

/**
 * The five cases, loaded with the guard's hooks in place and pointed at one local provider server
 * (a real HTTP server: nock passes its host through). close() stops the server.
 */
export async function aiSdkPrivacyCases(): Promise<{
  cases: PrivacyCase[];
  /** Requests the provider server received so far (a case that sends nothing proves nothing). */
  requests(): number;
  close(): Promise<void>;
}> {
  const server: ProviderServer = await startProviderServer();
  useGuard();
  const settings = { apiKey: 'test-key' };
  // ai 6's providers (@ai-sdk/openai, anthropic, google 3) run on Node 20.
  const ai6 = aiWorkspace(6);
  const openai = requireFrom(ai6, '@ai-sdk/openai').createOpenAI({
    ...settings,
    baseURL: `${server.baseURL}/v1`,
  }) as { chat: DoGenerate };
  const anthropic = requireFrom(ai6, '@ai-sdk/anthropic').createAnthropic({
    ...settings,
    baseURL: `${server.baseURL}/v1`,
  }) as DoGenerate;
  const google = requireFrom(ai6, '@ai-sdk/google').createGoogleGenerativeAI({
    ...settings,
    baseURL: `${server.baseURL}/v1beta`,
  }) as DoGenerate;
  const cases: PrivacyCase[] = [
    {
      module: '@ai-sdk/openai',
      runsHere: true,
      call: (c) => openai.chat(c.model).doGenerate(callOptions(c, { openai: { user: c.text } })),
    },
    {
      module: '@ai-sdk/anthropic',
      runsHere: true,
      call: (c) => anthropic(c.model).doGenerate(callOptions(c)),
    },
    { module: '@ai-sdk/google', runsHere: true, call: (c) => google(c.model).doGenerate(callOptions(c)) },
  ];

  if (AI_7_RUNS_HERE) {
    // @ai-sdk/amazon-bedrock 5: ES module only, require() of it needs Node 22.12+.
    const bedrock = requireFrom(aiWorkspace(7), '@ai-sdk/amazon-bedrock').createAmazonBedrock({
      baseURL: server.baseURL,
      region: 'us-east-1',
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'test-secret',
    }) as DoGenerate;
    cases.push({
      module: '@ai-sdk/amazon-bedrock',
      runsHere: true,
      call: (c) => bedrock(c.model).doGenerate(callOptions(c)),
    });
  } else {
    cases.push({ module: '@ai-sdk/amazon-bedrock', runsHere: false });
  }

  if (MASTRA_RUNS_HERE) {
    const { Agent } = require(require.resolve('@mastra/core/agent', { paths: [MASTRA_WORKSPACE] })) as {
      Agent: new (config: object) => { generate(messages: string): Promise<unknown> };
    };
    cases.push({
      module: '@mastra/core',
      runsHere: true,
      // The model router's config object: its id names the model, Mastra's own provider copy sends.
      call: (c) =>
        new Agent({
          id: 'privacy',
          name: 'privacy',
          instructions: c.text,
          model: { id: `openai/${c.model}`, url: `${server.baseURL}/v1`, apiKey: 'test-key' },
        }).generate(c.text),
    });
  } else {
    cases.push({ module: '@mastra/core', runsHere: false });
  }
  return { cases, requests: () => server.total(), close: () => server.close() };
}
