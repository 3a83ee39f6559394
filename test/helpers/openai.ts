import * as path from 'node:path';
import { ROOT, useGuard } from './guard';
import CHAT_COMPLETION from '../fixtures/chat-completion.json';

export type OpenAIModule = typeof import('openai');
export type OpenAIClient = import('openai').OpenAI;

export const BASE_URL = 'http://openai.test/v1';
export const CANARY = 'CANARY-PROMPT-7f3a9c do not leak';

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

/** Every supported openai major, installed under its real name by the test/versions workspaces. */
export const OPENAI_MAJORS = [4, 5, 6, 7] as const;

/** openai 7 declares Node >= 22; it is tested on 22 and 24 only. */
export function runsOnThisNode(major: number): boolean {
  return major < 7 || NODE_MAJOR >= 22;
}

export function openaiEntry(major: number): string {
  return require.resolve('openai', { paths: [path.join(ROOT, 'test', 'versions', `openai-${major}`)] });
}

/** Loads the CommonJS copy of openai <major>, with the guard's hooks in place first. */
export function loadOpenAI(major: number): OpenAIModule {
  useGuard();
  return require(openaiEntry(major)) as OpenAIModule;
}

export function makeClient(mod: OpenAIModule): OpenAIClient {
  return new mod.OpenAI({ apiKey: 'test-key', baseURL: BASE_URL, maxRetries: 0 });
}

/** The mock server's chat reply (shared with the child-process fixtures). */
export function chatCompletion(content = 'hello') {
  const reply = structuredClone(CHAT_COMPLETION);
  reply.choices[0].message.content = content;
  return reply;
}

/**
 * A chat completion server's answer when tools are offered: one call of the tool `lookup` until a
 * tool message answers it, then (or with no tools) a plain completion.
 */
export function toolCallingReply(request: { tools?: unknown[]; messages: { role: string }[] }) {
  const answered = request.messages.some((message) => message.role === 'tool');
  if (request.tools === undefined || answered) return chatCompletion();
  const toolCall = chatCompletion();
  Object.assign(toolCall.choices[0], { finish_reason: 'tool_calls' });
  Object.assign(toolCall.choices[0].message, {
    content: null,
    tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{}' } }],
  });
  return toolCall;
}

export function chatStreamBody(content = 'hello'): string {
  const chunk = {
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'gpt-test',
    choices: [{ index: 0, delta: { role: 'assistant', content }, finish_reason: null }],
  };
  const last = { ...chunk, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] };
  return `data: ${JSON.stringify(chunk)}\n\ndata: ${JSON.stringify(last)}\n\ndata: [DONE]\n\n`;
}

export const userMessage = [{ role: 'user' as const, content: CANARY }];
