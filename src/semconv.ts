/**
 * Attribute names the guard writes. Stable OpenTelemetry names come from
 * @opentelemetry/semantic-conventions; the incubating gen_ai.* names are copied here,
 * as the semantic-conventions package advises, because its incubating entry point may
 * change them in any minor release.
 */
export { ATTR_CODE_FILE_PATH, ATTR_CODE_LINE_NUMBER } from '@opentelemetry/semantic-conventions';

export const ATTR_GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name';
export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
export const ATTR_GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';

export const GEN_AI_OPERATION_CHAT = 'chat';
export const GEN_AI_OPERATION_TEXT_COMPLETION = 'text_completion';
export const GEN_AI_OPERATION_EMBEDDINGS = 'embeddings';
export const GEN_AI_OPERATION_GENERATE_CONTENT = 'generate_content';
export const GEN_AI_OPERATION_INVOKE_AGENT = 'invoke_agent';

export const ATTR_MIMA_CALL_SITE = 'mima.call_site';
export const ATTR_MIMA_ATTESTED = 'mima.attested';
export const ATTR_MIMA_WORKSPACE_ID = 'mima.workspace_id';
export const ATTR_MIMA_MODE = 'mima.mode';
export const ATTR_MIMA_BLOCKED = 'mima.blocked';
export const ATTR_MIMA_RECORD_ID = 'mima.record_id';

export const SPAN_NAME_AI_CALL = 'mima.ai_call';
