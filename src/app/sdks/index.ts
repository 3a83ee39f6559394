import type { SdkDefinition } from './definition';
import { ai } from './ai';
import { AI_SDK_PROVIDERS } from './ai-sdk-providers';
import { anthropic } from './anthropic';
import { bedrock } from './bedrock';
import { claudeAgentSdk } from './claude-agent-sdk';
import { cohere } from './cohere';
import { googleGenAI } from './google-genai';
import { googleGenerativeAI } from './google-generative-ai';
import { groq } from './groq';
import { huggingfaceInference } from './huggingface-inference';
import { litellm } from './litellm';
import { mastra } from './mastra';
import { mistral } from './mistral';
import { ollama } from './ollama';
import { openai } from './openai';
import { vertexAI } from './vertexai';
import { replicate } from './replicate';

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
  ollama,
  googleGenerativeAI,
  vertexAI,
  claudeAgentSdk,
  huggingfaceInference,
  replicate,
  ...AI_SDK_PROVIDERS,
  mastra,
];
