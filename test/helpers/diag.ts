import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';

/**
 * Collects the OpenTelemetry diag warnings and errors logged while fn runs, and returns them.
 * fn gets the live list too, for tests that check the messages part-way through.
 */
export async function captureDiag(fn: (messages: readonly string[]) => unknown): Promise<string[]> {
  const messages: string[] = [];
  // A component logger passes its namespace first, then the message: keep both.
  const collect = (...args: unknown[]) => messages.push(args.map(String).join(' '));
  const logger: DiagLogger = { error: collect, warn: collect, info() {}, debug() {}, verbose() {} };
  diag.setLogger(logger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  try {
    await fn(messages);
  } finally {
    diag.disable();
  }
  return messages;
}
