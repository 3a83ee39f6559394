import type { ConformanceRow } from '../row';
import { aiRow } from './ai';
import { anthropicRow } from './anthropic';
import { bedrockRow } from './bedrock';
import { cohereRow } from './cohere';
import { googleGenAIRow } from './google-genai';
import { groqRow } from './groq';
import { litellmRow } from './litellm';
import { mistralRow } from './mistral';
import { openaiRow } from './openai';

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
];
