import type { SdkDefinition } from './definition';
import { openai } from './openai';

/** Every SDK the guard patches. Adding an SDK means adding its file and one entry here. */
export const SDK_DEFINITIONS: readonly SdkDefinition[] = [openai];
