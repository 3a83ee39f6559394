import * as path from 'node:path';
import { ROOT, useGuard } from './guard';

export const MISTRAL_DIR = path.join(ROOT, 'test', 'versions', 'mistral-2');
export const MISTRAL_ORIGIN = 'http://mistral.test';
export const MISTRAL_MODEL = 'mistral-small-latest';

type Method<Result> = (request: object) => Promise<Result>;
type ChatReply = { choices: Array<{ message: { content: string } }> };

/** The slice of the SDK the tests use (the package is ES module only; its types are not reachable here). */
export interface MistralClient {
  chat: { complete: Method<ChatReply>; stream: Method<AsyncIterable<{ data: ChatChunk }>> };
  fim: { complete: Method<ChatReply> };
  embeddings: { create: Method<{ data: Array<{ embedding: number[] }> }> };
  agents: { complete: Method<unknown> };
  classifiers: { moderate: Method<unknown> };
  batch: { jobs: { list: () => Promise<unknown> } };
}
type ChatChunk = { choices: Array<{ delta: { content?: string } }> };
export interface MistralModule {
  Mistral: new (options: object) => MistralClient;
}

/** Resolves a file of the package through its exports map, as an app in test/versions/mistral-2 would. */
export function mistralPath(specifier = '@mistralai/mistralai'): string {
  return require.resolve(specifier, { paths: [MISTRAL_DIR] });
}

/**
 * Loads the package the way a CommonJS app does: require() of an ES module (Node 20.19+, 22.12+),
 * with the guard's hooks in place first.
 */
export function loadMistral(): MistralModule {
  useGuard();
  return require(mistralPath()) as MistralModule;
}

export function makeMistral(mod: MistralModule): MistralClient {
  return new mod.Mistral({
    apiKey: 'test-key',
    serverURL: MISTRAL_ORIGIN,
    retryConfig: { strategy: 'none' },
  });
}

const usage = { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 };

export function chatReply(content = 'hello') {
  return {
    id: 'cmpl-1',
    object: 'chat.completion',
    model: MISTRAL_MODEL,
    created: 1,
    usage,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
  };
}

export function chatStreamBody(...contents: string[]): string {
  const chunks = contents.map((content) => ({
    id: 'cmpl-1',
    object: 'chat.completion.chunk',
    model: MISTRAL_MODEL,
    created: 1,
    choices: [{ index: 0, delta: { role: 'assistant', content }, finish_reason: null }],
  }));
  return chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`).join('') + 'data: [DONE]\n\n';
}

export function embeddingsReply() {
  return {
    id: 'emb-1',
    object: 'list',
    model: 'mistral-embed',
    usage,
    data: [{ object: 'embedding', embedding: [0.5], index: 0 }],
  };
}
