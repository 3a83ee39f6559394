/**
 * Attribute names the guard writes. The incubating gen_ai.* names are copied here, as the
 * semantic-conventions package advises, because its incubating entry point may change them in
 * any minor release. The stable code.* names are copied too: they never change, and loading
 * @opentelemetry/semantic-conventions for two strings cost the guard's start-up ~5-15 ms.
 */
export const ATTR_CODE_FILE_PATH = 'code.file.path';
export const ATTR_CODE_LINE_NUMBER = 'code.line.number';

export const ATTR_GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name';
export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
export const ATTR_GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';

export const GEN_AI_OPERATION_CHAT = 'chat';
export const GEN_AI_OPERATION_TEXT_COMPLETION = 'text_completion';
export const GEN_AI_OPERATION_EMBEDDINGS = 'embeddings';
export const GEN_AI_OPERATION_GENERATE_CONTENT = 'generate_content';
export const GEN_AI_OPERATION_INVOKE_AGENT = 'invoke_agent';
/** A request the network backstop sees: the guard does not read its path or body to name it. */
export const GEN_AI_OPERATION_UNKNOWN = 'unknown';

export const ATTR_MIMA_CALL_SITE = 'mima.call_site';
export const ATTR_MIMA_ATTESTED = 'mima.attested';
export const ATTR_MIMA_WORKSPACE_ID = 'mima.workspace_id';
export const ATTR_MIMA_MODE = 'mima.mode';
export const ATTR_MIMA_BLOCKED = 'mima.blocked';
export const ATTR_MIMA_RECORD_ID = 'mima.record_id';

export const SPAN_NAME_AI_CALL = 'mima.ai_call';

/** The guard's own metric: every patched call, attested or not (attributes mima.call_site, mima.attested). */
export const METRIC_MIMA_GUARD_CALLS = 'mima.guard.calls';
