import * as path from 'node:path';
import { ROOT, useGuard } from './guard';

export const WORKSPACE = path.join(ROOT, 'test', 'versions', 'google-generative-ai-0');
export const ORIGIN = 'http://gemini-legacy.test';
export const MODEL = 'gemini-1.5-flash';

/** The slice of the SDK the tests use. */
export interface GenerateResult {
  response: { text(): string };
}
export interface GenerativeModel {
  generateContent(request: string | object): Promise<GenerateResult>;
  generateContentStream(request: string | object): Promise<{ stream: AsyncIterable<{ text(): string }> }>;
  countTokens(request: string | object): Promise<{ totalTokens: number }>;
  embedContent(request: string | object): Promise<{ embedding: { values: number[] } }>;
  batchEmbedContents(request: object): Promise<{ embeddings: Array<{ values: number[] }> }>;
  startChat(params?: object): {
    sendMessage(request: string): Promise<GenerateResult>;
    sendMessageStream(request: string): Promise<{ stream: AsyncIterable<{ text(): string }> }>;
  };
}
export interface GenerativeAIModule {
  GoogleGenerativeAI: new (apiKey: string) => {
    getGenerativeModel(
      params: { model: string; systemInstruction?: string },
      options?: { baseUrl?: string; customHeaders?: Record<string, string> },
    ): GenerativeModel;
  };
}
export interface ChatGoogleGenerativeAI {
  invoke(input: string): Promise<{ content: unknown }>;
}
export interface LangChainGoogleModule {
  ChatGoogleGenerativeAI: new (fields: object) => ChatGoogleGenerativeAI;
}

export function load<T>(name: string): T {
  useGuard();
  return require(require.resolve(name, { paths: [WORKSPACE] })) as T;
}

export const reply = (text = 'hello') => ({
  candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP', index: 0 }],
});
