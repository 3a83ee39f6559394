import { CANARY } from '../../helpers/openai';
import type { ConformanceRow, RowContext } from '../row';
import { chatReply } from './openai';

/** An agent over the mock, its model an @ai-sdk/openai model object or a model router config. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function agent(ctx: RowContext, model: (openai: any) => unknown) {
  const { Agent } = await ctx.load('@mastra/core/agent');
  const { createOpenAI } = await ctx.load('@ai-sdk/openai');
  const openai = createOpenAI({ baseURL: `${ctx.origin}/v1`, apiKey: 'test-key' });
  return new Agent({
    id: 'conformance',
    name: 'conformance',
    instructions: 'Be brief.',
    model: model(openai),
  });
}

/**
 * Mastra agents (Node 22.13+): `Agent.generate` / `Agent.stream` over the app's @ai-sdk/openai
 * model; the model router ('openai/gpt-test', Mastra's own bundled provider copy) is a helper.
 */
export const mastraRow: ConformanceRow = {
  name: 'mastra',
  module: '@mastra/core',
  versionDirs: ['mastra-1'],
  moduleSystems: ['cjs', 'esm'],
  // @ai-sdk/openai 3 (specification v3) for every 1.x: 1.0.x refuses a v4 model ("AI SDK v4 model
  // ... not compatible with generate()"); the locked copy (mastra-1) runs the 4.x one.
  companions: () => ['@ai-sdk/openai@3', 'zod@4'],
  server: 'http',
  reply: chatReply,
  client: (ctx) => agent(ctx, (openai) => openai.chat('gpt-test')),
  call: async (mastra) => (await mastra.generate(CANARY)).text,
  stream: async (mastra) => {
    let text = '';
    for await (const chunk of (await mastra.stream(CANARY)).textStream) text += chunk;
    return text;
  },
  helpers: [
    {
      name: "model router ('openai/gpt-test')",
      run: async (_mastra, ctx) => {
        const routed = await agent(ctx, () => ({
          id: 'openai/gpt-test',
          url: `${ctx.origin}/v1`,
          apiKey: 'test-key',
        }));
        return (await routed.generate(CANARY)).text;
      },
    },
  ],
  expect: {
    callSite: 'mastra.Agent.generate',
    streamCallSite: 'mastra.Agent.stream',
    provider: 'openai',
    operation: 'invoke_agent',
    model: 'gpt-test',
  },
};
