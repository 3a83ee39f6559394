import * as path from 'node:path';
import { ROOT, useGuard } from './guard';

export type AIModule = typeof import('ai');
export type AIOpenAIProvider = ReturnType<(typeof import('@ai-sdk/openai'))['createOpenAI']>;

/** The OpenAI-compatible endpoint the tests point @ai-sdk/openai at; nock intercepts its fetch. */
export const AI_BASE_URL = 'http://ai-sdk.test/v1';

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

/** ai 7 and @ai-sdk/openai 4 (ES module only) declare Node >= 22; ai 6 runs on Node 20 too. */
export const AI_7_RUNS_HERE = NODE_MAJOR >= 22;

/** The workspace that installs ai <major> with its @ai-sdk/openai under their real names. */
export function aiWorkspace(major: 6 | 7): string {
  return path.join(ROOT, 'test', 'versions', `ai-${major}`);
}

export function aiEntry(major: 6 | 7): string {
  return require.resolve('ai', { paths: [aiWorkspace(major)] });
}

/**
 * Loads ai <major> and @ai-sdk/openai through require(), with the guard's hooks in place first:
 * ai 6's CommonJS copy, or ai 7's ES module (require() of an ES module, Node 22).
 */
export function loadAI(major: 6 | 7): { ai: AIModule; openai: AIOpenAIProvider } {
  useGuard();
  const ai = require(aiEntry(major)) as AIModule;
  const providerEntry = require.resolve('@ai-sdk/openai', { paths: [aiWorkspace(major)] });
  const { createOpenAI } = require(providerEntry) as typeof import('@ai-sdk/openai');
  return { ai, openai: createOpenAI({ baseURL: AI_BASE_URL, apiKey: 'test-key' }) };
}

/** The mock server's reply to an embeddings request. */
export function embeddingReply(count = 1) {
  return {
    object: 'list',
    model: 'emb',
    data: Array.from({ length: count }, (_, index) => ({
      object: 'embedding',
      index,
      embedding: [0.5, 0.25],
    })),
    usage: { prompt_tokens: 1, total_tokens: 1 },
  };
}
