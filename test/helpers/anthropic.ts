import * as path from 'node:path';
import { ROOT, useGuard } from './guard';
import { CANARY } from './openai';

export const ANTHROPIC_URL = 'http://anthropic.test';
export const BEDROCK_URL = 'http://bedrock.test';
export const VERTEX_URL = 'http://vertex.test/v1';

/** The installed copies: test/versions/anthropic-<name>. 1.x also brings the Bedrock and Vertex clients. */
export const ANTHROPIC_VERSIONS = ['0.20', '1'] as const;
export type AnthropicVersion = (typeof ANTHROPIC_VERSIONS)[number];

/** The part of the SDK's APIPromise the tests use (the same in 0.20 and 1.x). */
export interface ApiPromise<T> extends Promise<T> {
  withResponse(): Promise<{ data: T; response: { status: number } }>;
  asResponse(): Promise<{ json(): Promise<unknown> }>;
}

export interface Message {
  content: Array<{ type: string; text?: string }>;
}

export interface MessageBody {
  model: string;
  max_tokens: number;
  messages: Array<{ role: 'user' | 'assistant'; content: string }>;
}

type Create = {
  (body: MessageBody & { stream: true }): ApiPromise<AsyncIterable<{ type: string }>>;
  (body: MessageBody): ApiPromise<Message>;
};

export interface AnthropicClient {
  messages: {
    create: Create;
    stream(body: MessageBody): { finalText(): Promise<string> };
    countTokens?(body: Omit<MessageBody, 'max_tokens'>): ApiPromise<unknown>;
  };
  /** The legacy Text Completions API (POST /v1/complete); 1.x removed the resource. */
  completions?: { create(body: object): ApiPromise<unknown> };
  /** 0.20: beta.tools.messages (/v1/messages?beta=tools); 1.x: beta.messages (/v1/messages?beta=true). */
  beta: { messages?: { create: Create }; tools?: { messages: { create: Create } } };
  models?: { retrieve(id: string): ApiPromise<unknown> };
}

type ClientClass = new (options: object) => AnthropicClient;

export interface AnthropicModule {
  Anthropic: ClientClass;
}

function versionDir(version: AnthropicVersion): string {
  return path.join(ROOT, 'test', 'versions', `anthropic-${version}`);
}

/** Loads the CommonJS copy of a package from a test/versions workspace, with the guard's hooks in place first. */
function loadFrom<T>(pkg: string, version: AnthropicVersion): T {
  useGuard();
  return require(require.resolve(pkg, { paths: [versionDir(version)] })) as T;
}

export function loadAnthropic(version: AnthropicVersion): AnthropicModule {
  return loadFrom<AnthropicModule>('@anthropic-ai/sdk', version);
}

export function makeAnthropic(mod: AnthropicModule, options: object = {}): AnthropicClient {
  return new mod.Anthropic({ apiKey: 'test-key', baseURL: ANTHROPIC_URL, maxRetries: 0, ...options });
}

/** @anthropic-ai/bedrock-sdk 1.x; it loads its own copy of @anthropic-ai/sdk/client. */
export function loadBedrock() {
  return loadFrom<{ AnthropicBedrock: ClientClass; AnthropicBedrockMantle: ClientClass }>(
    '@anthropic-ai/bedrock-sdk',
    '1',
  );
}

export function loadVertex() {
  return loadFrom<{ AnthropicVertex: ClientClass }>('@anthropic-ai/vertex-sdk', '1');
}

/** A google-auth-library AuthClient stand-in: no credential lookup, and it counts token requests. */
export interface FakeAuthClient {
  projectId: string;
  tokenRequests: number;
  getRequestHeaders(): Promise<Headers>;
}

export function fakeGoogleAuthClient(): FakeAuthClient {
  const auth: FakeAuthClient = {
    projectId: 'test-project',
    tokenRequests: 0,
    async getRequestHeaders() {
      auth.tokenRequests++;
      return new Headers({ authorization: 'Bearer test-token' });
    },
  };
  return auth;
}

const userMessage: MessageBody['messages'] = [{ role: 'user', content: CANARY }];
export const messageBody: MessageBody = { model: 'claude-test', max_tokens: 16, messages: userMessage };

export function messageReply(text = 'hello') {
  return {
    id: 'msg_1',
    type: 'message',
    role: 'assistant',
    model: 'claude-test',
    content: [{ type: 'text', text }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 1, output_tokens: 1 },
  };
}

/** The Messages API's server-sent events for a reply of one text block. */
export function messageStreamBody(text = 'hello'): string {
  const message = { ...messageReply(), content: [], stop_reason: null };
  const events: Array<[string, object]> = [
    ['message_start', { type: 'message_start', message }],
    [
      'content_block_start',
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    ],
    ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }],
    ['content_block_stop', { type: 'content_block_stop', index: 0 }],
    [
      'message_delta',
      {
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { output_tokens: 1 },
      },
    ],
    ['message_stop', { type: 'message_stop' }],
  ];
  return events.map(([event, data]) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`).join('');
}
