import * as path from 'node:path';
import { ROOT, useGuard } from './guard';

export const GOOGLE_GENAI_DIR = path.join(ROOT, 'test', 'versions', 'google-genai-3');
export const GEMINI_ORIGIN = 'http://gemini.test';

/** @google/genai 3 declares Node >= 22; it is tested on 22 and 24 only. */
export const GOOGLE_GENAI_RUNS_HERE = Number(process.versions.node.split('.')[0]) >= 22;

/** The slice of the SDK the tests use (its own types need a newer module resolution). */
export interface GenerateContentResponse {
  text?: string;
}
export interface GoogleGenAIClient {
  models: {
    generateContent(params: object): Promise<GenerateContentResponse>;
    generateContentStream(params: object): Promise<AsyncGenerator<GenerateContentResponse>>;
    embedContent(params: object): Promise<{ embeddings?: Array<{ values?: number[] }> }>;
    countTokens(params: object): Promise<unknown>;
  };
  chats: { create(params: object): { sendMessage(params: object): Promise<GenerateContentResponse> } };
  caches: { list(): Promise<unknown> };
  batches: { list(): Promise<unknown> };
  files: { list(): Promise<unknown> };
  tunings: { list(): Promise<unknown> };
}
export interface GoogleGenAIModule {
  GoogleGenAI: new (options: object) => GoogleGenAIClient;
}

/** Loads the CommonJS copy (dist/node/index.cjs), with the guard's hooks in place first. */
export function loadGoogleGenAI(): GoogleGenAIModule {
  useGuard();
  return require(require.resolve('@google/genai', { paths: [GOOGLE_GENAI_DIR] })) as GoogleGenAIModule;
}

/** A Gemini API client against the mock origin; `vertex` makes a Vertex AI (project) client. */
export function makeGenAI(mod: GoogleGenAIModule, vertex = false): GoogleGenAIClient {
  const httpOptions = { baseUrl: GEMINI_ORIGIN };
  return new mod.GoogleGenAI(
    vertex
      ? { vertexai: true, project: 'test-project', location: 'us-central1', httpOptions }
      : { apiKey: 'test-key', httpOptions },
  );
}

export function generateContentReply(text = 'hello') {
  return { candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP' }] };
}

/** streamGenerateContent's server-sent events. */
export function generateContentStreamBody(...texts: string[]): string {
  return texts.map((text) => `data: ${JSON.stringify(generateContentReply(text))}\n\n`).join('');
}
