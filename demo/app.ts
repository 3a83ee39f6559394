/**
 * The small app the demo runs, once per mode, each time in a fresh process: the guard is
 * process-wide and its module hooks must be in place before openai is required.
 *
 * It makes the same chat call twice against the mock server: once inside attest(), once not.
 * Environment: MIMA_GUARD_MODE and MIMA_GUARD_LOG_FILE (read by enableGuard() itself),
 * MIMA_DEMO_BASE_URL (the mock server), MIMA_DEMO_TRACING=1 to register a TracerProvider,
 * MIMA_DEMO_PROMPT (so the demo can check the prompt appears in no record).
 */
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
// In your own app: from '@mima-governance/instrumentation-guard'.
import {
  attest,
  disableGuard,
  enableGuard,
  getGuardStatus,
  MimaAttestationError,
  WARNING_TYPE,
} from '../src';
import { CALL_LABEL_HEADER } from './mock-openai-server';

export type CallOutcome =
  | { status: 'answered'; text: string }
  | { status: 'blocked'; message: string }
  | { status: 'failed'; message: string };

/** What the app saw, sent to the demo over the IPC channel. */
export interface AppResult {
  mode: string;
  logFile: string;
  patched: string[];
  attested: CallOutcome;
  unattested: CallOutcome;
  warnings: string[];
  spans: Array<{ name: string; attributes: Record<string, unknown> }>;
}

async function main(): Promise<void> {
  const baseURL = process.env.MIMA_DEMO_BASE_URL;
  if (!baseURL) throw new Error('MIMA_DEMO_BASE_URL is not set; run the demo with `npm run demo`');
  const prompt = process.env.MIMA_DEMO_PROMPT ?? 'Summarise ticket 4711 in one sentence.';
  const tracing = process.env.MIMA_DEMO_TRACING === '1';

  // Tracing set-up comes first, as in any OpenTelemetry app; the guard's records then become spans.
  const exporter = new InMemorySpanExporter();
  if (tracing) {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    );
  }

  // Before openai is loaded, so the guard's hooks see it.
  enableGuard();
  const warnings: string[] = [];
  process.on('warning', (warning) => {
    if (warning.name === WARNING_TYPE) warnings.push(warning.message);
  });
  const { OpenAI } = await import('openai');
  const client = new OpenAI({ baseURL, apiKey: 'demo', maxRetries: 0 });

  const status = getGuardStatus();
  const patched = status.sdks.flatMap((sdk) =>
    sdk.patches.filter((p) => p.active).map((p) => `${sdk.module} ${p.version} at ${p.patchPoint}`),
  );
  const patchedText = patched.length > 0 ? `patched ${patched.join(', ')}` : 'NOTHING patched';
  console.log(`guard enabled: mode ${status.mode}, ${patchedText}`);

  const ask = async (label: string): Promise<string> => {
    const messages = [{ role: 'user' as const, content: prompt }];
    const headers = { [CALL_LABEL_HEADER]: label };
    if (tracing) {
      // The traced run streams, to show streams are checked before their first byte too.
      const stream = await client.chat.completions.create(
        { model: 'gpt-4o-mini', messages, stream: true },
        { headers },
      );
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      return text;
    }
    const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages }, { headers });
    return completion.choices[0]?.message.content ?? '';
  };

  // The attested path: the function that makes the call is wrapped in attest().
  const summarise = attest({ toolName: 'summarise-ticket' }, () => ask('attested'));
  const attested = await outcome(summarise);
  console.log(`attested call (inside attest()): ${describeOutcome(attested)}`);

  // The same call made directly, outside attest().
  const unattested = await outcome(() => ask('unattested'));
  console.log(`unattested call${tracing ? ' (streamed)' : ''}: ${describeOutcome(unattested)}`);

  // process.emitWarning delivers on a later tick.
  await new Promise((resolve) => setImmediate(resolve));
  if (warnings.length === 0) console.log('no warning was emitted');
  for (const message of warnings) console.log(`warning ${WARNING_TYPE}: ${message}`);

  // Flushes the JSONL file and unpatches openai before the demo reads the file.
  await disableGuard();
  const spans = exporter.getFinishedSpans().map((s) => ({ name: s.name, attributes: { ...s.attributes } }));
  const result: AppResult = {
    mode: status.mode,
    logFile: status.logFile,
    patched,
    attested,
    unattested,
    warnings,
    spans,
  };
  process.send?.(result);
}

async function outcome(call: () => Promise<string>): Promise<CallOutcome> {
  try {
    return { status: 'answered', text: await call() };
  } catch (error) {
    // Block mode's deliberate error; anything else is a real failure.
    if (error instanceof MimaAttestationError) return { status: 'blocked', message: error.message };
    return {
      status: 'failed',
      message: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    };
  }
}

function describeOutcome(result: CallOutcome): string {
  switch (result.status) {
    case 'answered':
      return `answered "${result.text}"`;
    case 'blocked':
      return `blocked, caught MimaAttestationError: ${result.message}`;
    case 'failed':
      return `FAILED: ${result.message}`;
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
});
