import * as assert from 'node:assert/strict';
import type { LanguageModelV3, LanguageModelV3CallOptions } from '@ai-sdk/provider';
import { MimaAttestationError } from '../../src';
import { CANARY } from './openai';
import { readRecords } from './guard';

/** Shared by the AI SDK provider tests (ai-providers*.test.ts). */

/** The LanguageModel interface's call options: one user message, the canary as its text. */
export const PROMPT: LanguageModelV3CallOptions = {
  prompt: [{ role: 'user', content: [{ type: 'text', text: CANARY }] }],
};

export type Model = Pick<LanguageModelV3, 'doGenerate' | 'doStream' | 'provider' | 'modelId'>;
export type Factory = (modelId: string) => Model;
export interface Providers {
  openaiChat: Factory;
  openaiEmbedding: (modelId: string) => { doEmbed(options: { values: string[] }): PromiseLike<unknown> };
  anthropic: Factory;
  google: Factory;
}

export function requireFrom(workspace: string, name: string): Record<string, (options: object) => unknown> {
  return require(require.resolve(name, { paths: [workspace] })) as Record<
    string,
    (options: object) => unknown
  >;
}

/** An assert.rejects check: the guard's error for this call site, naming the test file's line. */
export function isBlockedAt(callSite: string, file = /ai-providers[\w-]*\.test\.js:\d+/) {
  return (error: unknown) => {
    assert.ok(error instanceof MimaAttestationError, `a MimaAttestationError, not ${String(error)}`);
    assert.equal(error.callSite, callSite);
    assert.match(error.message, file, 'names the user file:line');
    assert.ok(!error.message.includes(CANARY));
    return true;
  };
}

export async function callSites(): Promise<string[]> {
  return (await readRecords()).map((record) => record.call_site);
}
