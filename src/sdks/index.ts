import type { SdkDefinition } from './definition';
import { ai } from './ai';
import { AI_SDK_PROVIDERS } from './ai-sdk-providers';
import { anthropic } from './anthropic';
import { bedrock } from './bedrock';
import { cohere } from './cohere';
import { googleGenAI } from './google-genai';
import { groq } from './groq';
import { litellm } from './litellm';
import { mastra } from './mastra';
import { mistral } from './mistral';
import { openai } from './openai';

/** Every SDK the guard patches. Adding an SDK means adding its file and one entry here. */
export const SDK_DEFINITIONS: readonly SdkDefinition[] = [
  openai,
  anthropic,
  groq,
  litellm,
  googleGenAI,
  mistral,
  cohere,
  ai,
  bedrock,
  ...AI_SDK_PROVIDERS,
  mastra,
];
