import * as path from 'node:path';
import { ROOT, useGuard } from './guard';
import { CANARY } from './openai';
import type { ApiPromise } from './anthropic';

export const GROQ_URL = 'http://groq.test';

type ChatBody = { model: string; messages: Array<{ role: 'user'; content: string }>; stream?: boolean };
type ChatReply = { choices: Array<{ message: { content: string } }> };

export interface GroqClient {
  chat: {
    completions: {
      create(body: ChatBody & { stream: true }): ApiPromise<AsyncIterable<unknown>>;
      create(body: ChatBody): ApiPromise<ChatReply>;
    };
  };
  embeddings: { create(body: { model: string; input: string }): ApiPromise<unknown> };
  audio: {
    speech: { create(body: object): ApiPromise<unknown> };
    transcriptions: { create(body: object): ApiPromise<unknown> };
  };
}

export interface GroqModule {
  Groq: new (options: object) => GroqClient;
}

export const GROQ_DIR = path.join(ROOT, 'test', 'versions', 'groq-1');

/** Loads the CommonJS copy of groq-sdk 1.x, with the guard's hooks in place first. */
export function loadGroq(): GroqModule {
  useGuard();
  return require(require.resolve('groq-sdk', { paths: [GROQ_DIR] })) as GroqModule;
}

export function makeGroq(mod: GroqModule): GroqClient {
  return new mod.Groq({ apiKey: 'test-key', baseURL: GROQ_URL, maxRetries: 0 });
}

export const chatBody: ChatBody = { model: 'llama-test', messages: [{ role: 'user', content: CANARY }] };

export function embeddingReply() {
  return {
    object: 'list',
    data: [{ object: 'embedding', index: 0, embedding: [0.5] }],
    model: 'embed-test',
    usage: { prompt_tokens: 1, total_tokens: 1 },
  };
}
