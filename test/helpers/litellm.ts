import * as path from 'node:path';
import { ROOT, useGuard } from './guard';
import type { OpenAIModule } from './openai';

export type LitellmModule = typeof import('litellm');

/** The workspace that installs litellm's published range (hoisted to the root node_modules). */
const LITELLM_WORKSPACE = path.join(ROOT, 'test', 'versions', 'litellm-0');

export function litellmEntry(): string {
  return require.resolve('litellm', { paths: [LITELLM_WORKSPACE] });
}

/** Loads litellm (CommonJS only), with the guard's hooks in place first. */
export function loadLitellm(): LitellmModule {
  useGuard();
  return require(litellmEntry()) as LitellmModule;
}

/**
 * The openai copy litellm itself requires (its own dependency, openai 4). Typed with the
 * app's openai types: the client constructor and chat.completions.create the tests use are
 * the same in both.
 */
export function litellmOpenAI(): OpenAIModule {
  const openaiEntry = require.resolve('openai', { paths: [path.dirname(litellmEntry())] });
  return require(openaiEntry) as OpenAIModule;
}

/** The host litellm's embedding handler always calls: it ignores baseUrl. */
export const OPENAI_DEFAULT_HOST = 'https://api.openai.com';

export const EMBEDDING = [0.5, 0.25];

/** openai 4 asks for base64 embeddings when the caller names no encoding_format, and decodes them. */
export function embeddingReply() {
  const base64 = Buffer.from(new Float32Array(EMBEDDING).buffer).toString('base64');
  return {
    object: 'list',
    model: 'text-embedding-3-small',
    data: [{ object: 'embedding', index: 0, embedding: base64 }],
    usage: { prompt_tokens: 1, total_tokens: 1 },
  };
}
