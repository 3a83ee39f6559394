import { SpanKind, SpanStatusCode, type Attributes, type Tracer } from '@opentelemetry/api';
import {
  ATTR_CODE_FILE_PATH,
  ATTR_CODE_LINE_NUMBER,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_MIMA_ATTESTED,
  ATTR_MIMA_BLOCKED,
  ATTR_MIMA_CALL_SITE,
  ATTR_MIMA_MODE,
  ATTR_MIMA_RECORD_ID,
  ATTR_MIMA_WORKSPACE_ID,
  SPAN_NAME_AI_CALL,
} from '../semconv';
import type { CallDescription, DetectionRecord } from '../types';
import type { RecordOrigin, RecordSink } from './sink';

/**
 * A `mima.ai_call` span, child of the caller's active span, when a TracerProvider records
 * it. With the no-op provider (or a sampler that drops it) the span does not record and the
 * record goes on down the chain, so no detection is lost.
 */
export class SpanSink implements RecordSink {
  readonly name = 'span';

  constructor(private readonly tracer: () => Tracer) {}

  write(record: DetectionRecord, call: CallDescription, origin?: RecordOrigin): boolean {
    // Made after the call (pending-records.ts): its parent and start are the call's.
    const span = this.tracer().startSpan(
      SPAN_NAME_AI_CALL,
      { kind: SpanKind.INTERNAL, attributes: spanAttributes(record, call), startTime: origin?.time },
      origin?.parent,
    );
    if (!span.isRecording()) {
      span.end();
      return false;
    }
    if (record.blocked) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'unattested AI call blocked' });
    }
    if (call.modelLater === undefined) {
      span.end();
      return true;
    }
    // The model is known a few microtasks later (the SDK's own options promise): the span ends then.
    // Nothing may reject here: a fault of a span processor would be an unhandled rejection in the app.
    const endWith = (model: string | undefined) => {
      try {
        if (model !== undefined) span.setAttribute(ATTR_GEN_AI_REQUEST_MODEL, model);
        span.end();
      } catch {
        // The record's durable copy does not depend on the span.
      }
    };
    call.modelLater.then(endWith, () => endWith(undefined));
    return true;
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {}
}

function spanAttributes(record: DetectionRecord, call: CallDescription): Attributes {
  // Added to the record's own object: spreading it into a new one costs an unattested call ~1 µs.
  const attributes = recordSpanAttributes(record);
  attributes[ATTR_GEN_AI_PROVIDER_NAME] = call.provider;
  attributes[ATTR_GEN_AI_OPERATION_NAME] = call.operation;
  if (call.model !== undefined) attributes[ATTR_GEN_AI_REQUEST_MODEL] = call.model;
  return attributes;
}

/** The attributes a record alone gives (the daemon has records, not the call's description). */
export function recordSpanAttributes(record: DetectionRecord): Attributes {
  const attributes: Attributes = {
    [ATTR_MIMA_CALL_SITE]: record.call_site,
    [ATTR_MIMA_ATTESTED]: false,
    [ATTR_MIMA_MODE]: record.mode,
    [ATTR_MIMA_BLOCKED]: record.blocked,
    [ATTR_MIMA_RECORD_ID]: record.id,
  };
  if (record.workspace_id !== null) attributes[ATTR_MIMA_WORKSPACE_ID] = record.workspace_id;
  if (record.code_file !== null) attributes[ATTR_CODE_FILE_PATH] = record.code_file;
  if (record.code_line !== null) attributes[ATTR_CODE_LINE_NUMBER] = record.code_line;
  return attributes;
}
