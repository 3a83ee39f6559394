import * as path from 'node:path';
import { ROOT, useGuard } from './guard';

export const COHERE_DIR = path.join(ROOT, 'test', 'versions', 'cohere-8');
export const COHERE_ORIGIN = 'http://cohere.test';

type Method<Result> = (request: object) => Promise<Result> & { withRawResponse(): Promise<unknown> };
type Stream = AsyncIterable<{ type?: string; eventType?: string; text?: string; delta?: unknown }>;

/** The slice of the SDK the tests use. */
export interface CohereV1Client {
  chat: Method<{ text: string }>;
  chatStream: Method<Stream>;
  embed: Method<unknown>;
  generate: Method<unknown>;
  embedJobs: { list(): Promise<unknown> };
  v2: { chat: Method<unknown> };
}
export interface CohereV2Client {
  chat: Method<{ message: { content: Array<{ text: string }> } }>;
  chatStream: Method<Stream>;
  embed: Method<unknown>;
}
export interface CohereModule {
  CohereClient: new (options: object) => CohereV1Client;
  CohereClientV2: new (options: object) => CohereV2Client;
}

/** Loads cohere-ai (CommonJS only), with the guard's hooks in place first. */
export function loadCohere(): CohereModule {
  useGuard();
  return require(require.resolve('cohere-ai', { paths: [COHERE_DIR] })) as CohereModule;
}

const options = { token: 'test-key', environment: COHERE_ORIGIN, maxRetries: 0 };

export function makeCohere(mod: CohereModule) {
  return { v1: new mod.CohereClient(options), v2: new mod.CohereClientV2(options) };
}

export function chatV1Reply(text = 'hello') {
  return { text, generation_id: 'g-1', response_id: 'r-1', finish_reason: 'COMPLETE' };
}

export function chatV2Reply(text = 'hello') {
  return {
    id: 'c-1',
    finish_reason: 'COMPLETE',
    message: { role: 'assistant', content: [{ type: 'text', text }] },
  };
}

/** /v2/chat with stream: true answers server-sent events. */
export function chatV2StreamBody(...texts: string[]): string {
  const events = [
    { type: 'message-start', id: 'c-1', delta: { message: { role: 'assistant' } } },
    ...texts.map((text) => ({ type: 'content-delta', index: 0, delta: { message: { content: { text } } } })),
    { type: 'message-end', delta: { finish_reason: 'COMPLETE' } },
  ];
  return events.map((event) => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`).join('');
}

export function embedReply() {
  return { response_type: 'embeddings_floats', id: 'e-1', embeddings: [[0.5]], texts: [] };
}
