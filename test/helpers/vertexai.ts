import * as path from 'node:path';
import { ROOT, useGuard } from './guard';

export const WORKSPACE = path.join(ROOT, 'test', 'versions', 'vertexai-1');
/** The SDK always sends to https://<apiEndpoint>/v1/…: nock answers for the stand-in endpoint. */
export const ENDPOINT = 'vertex.test';
export const ORIGIN = `https://${ENDPOINT}`;
export const MODEL = 'gemini-2.0-flash';

/** The slice of the SDK the tests use. */
export interface GenerateResult {
  response: { candidates?: Array<{ content: { parts: Array<{ text?: string }> } }> };
}
export interface StreamResult {
  stream: AsyncIterable<GenerateResult['response']>;
  response: Promise<GenerateResult['response']>;
}
export interface ChatSession {
  sendMessage(request: string): Promise<GenerateResult>;
  sendMessageStream(request: string): Promise<StreamResult>;
}
export interface GenerativeModel {
  generateContent(request: string | object): Promise<GenerateResult>;
  generateContentStream(request: string | object): Promise<StreamResult>;
  countTokens(request: object): Promise<{ totalTokens: number }>;
  /** Without params the session ignores the apiEndpoint (1.12: only `if (request)` copies it). */
  startChat(params: object): ChatSession;
}
export interface VertexAI {
  getGenerativeModel(params: { model: string; systemInstruction?: string }): GenerativeModel;
  preview: { getGenerativeModel(params: { model: string }): GenerativeModel };
}
export interface VertexAIModule {
  VertexAI: new (init: object) => VertexAI;
}

export const reply = (text = 'hello') => ({
  candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP', index: 0 }],
});

/**
 * An auth client in place of google-auth-library's credential lookup (`googleAuthOptions.authClient`):
 * no real credentials, and it counts the token requests a call started.
 */
export function fakeAuth() {
  const auth = {
    tokens: 0,
    getAccessToken() {
      auth.tokens++;
      return Promise.resolve({ token: 'test-token' });
    },
  };
  return auth;
}

/** Loads the SDK (CommonJS only), with the guard's hooks in place first. */
export function loadVertexAI(): VertexAIModule {
  useGuard();
  return require(require.resolve('@google-cloud/vertexai', { paths: [WORKSPACE] })) as VertexAIModule;
}

/** A client for the stand-in endpoint, with `authClient` in place of a credential lookup. */
export function makeVertexAI(sdk: VertexAIModule, authClient: object): VertexAI {
  return new sdk.VertexAI({
    project: 'test-project',
    location: 'us-central1',
    apiEndpoint: ENDPOINT,
    googleAuthOptions: { authClient },
  });
}
