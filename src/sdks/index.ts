import type { SdkDefinition } from './definition';
import { ai } from './ai';
import { anthropic } from './anthropic';
import { groq } from './groq';
import { litellm } from './litellm';
import { openai } from './openai';

/** Every SDK the guard patches. Adding an SDK means adding its file and one entry here. */
export const SDK_DEFINITIONS: readonly SdkDefinition[] = [openai, anthropic, groq, litellm, ai];
