import type { ConformanceRow } from '../row';
import { aiRow } from './ai';
import { aiSdkAnthropicRow, aiSdkBedrockRow, aiSdkGoogleRow, aiSdkOpenAIRow } from './ai-sdk-providers';
import { anthropicRow } from './anthropic';
import { bedrockRow } from './bedrock';
import { claudeAgentSdkRow } from './claude-agent-sdk';
import { cohereRow } from './cohere';
import { googleGenAIRow } from './google-genai';
import { googleGenerativeAIRow } from './google-generative-ai';
import { groqRow } from './groq';
import { huggingfaceInferenceRow } from './huggingface-inference';
import { litellmRow } from './litellm';
import { mastraRow } from './mastra';
import { mistralRow } from './mistral';
import { ollamaRow } from './ollama';
import { openaiRow } from './openai';
import { replicateRow } from './replicate';
import { vertexAIRow } from './vertexai';

/** Every row of the conformance table. Adding an SDK: its row file and one entry here. */
export const CONFORMANCE_ROWS: readonly ConformanceRow[] = [
  openaiRow,
  anthropicRow,
  groqRow,
  aiRow,
  litellmRow,
  cohereRow,
  mistralRow,
  googleGenAIRow,
  bedrockRow,
  ollamaRow,
  googleGenerativeAIRow,
  vertexAIRow,
  huggingfaceInferenceRow,
  replicateRow,
  aiSdkOpenAIRow,
  aiSdkAnthropicRow,
  aiSdkGoogleRow,
  aiSdkBedrockRow,
  mastraRow,
  claudeAgentSdkRow,
];
