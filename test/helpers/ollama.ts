import * as path from 'node:path';
import { ROOT, useGuard } from './guard';

export const WORKSPACE = path.join(ROOT, 'test', 'versions', 'ollama-0');
export const MODEL = 'llama3.2';

/** The slice of ollama's API the tests use. */
export interface OllamaClient {
  chat(
    request: object,
  ): Promise<{ message: { content: string } } & AsyncIterable<{ message: { content: string } }>>;
  generate(request: object): Promise<{ response: string }>;
  embed(request: object): Promise<{ embeddings: number[][] }>;
  embeddings(request: object): Promise<{ embedding: number[] }>;
  list(): Promise<{ models: unknown[] }>;
}
export interface OllamaModule {
  Ollama: new (config?: { host?: string }) => OllamaClient;
  default: OllamaClient;
}

/** Loads ollama's CommonJS entry (which requires dist/browser.cjs), with the guard's hooks first. */
export function loadOllama(): OllamaModule {
  useGuard();
  return require(require.resolve('ollama', { paths: [WORKSPACE] })) as OllamaModule;
}
