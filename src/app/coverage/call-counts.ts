import { context, createContextKey, createNoopMeter, type Counter, type Meter } from '@opentelemetry/api';
import { ATTR_MIMA_ATTESTED, ATTR_MIMA_CALL_SITE, METRIC_MIMA_GUARD_CALLS } from '../semconv';

/** Per call site: how many patched calls were attested and how many were not. */
export interface CallTally {
  attested: number;
  unattested: number;
}

/**
 * Set around an attested call of an SDK built on other patched SDKs (litellm over openai), so its
 * inner calls are not counted a second time. Carried by the OTel context only: without a context
 * manager, such an SDK's inner calls are counted too.
 */
const COUNTED_KEY = createContextKey('mima.counted');

let counter: Counter | undefined;
let tallies: Map<string, CallTally> | undefined;

/**
 * Read by every patched call: counting costs nothing while neither a real MeterProvider nor the
 * JSONL summary line wants the counts (the attested path then does not even name the call).
 */
export let countingCalls = false;

function update(): void {
  countingCalls = counter !== undefined || tallies !== undefined;
}

/** The instrumentation's meter: a no-op meter (no MeterProvider set) creates no counter. */
export function useMeter(meter: Meter | undefined): void {
  counter =
    meter === undefined || meter === createNoopMeter()
      ? undefined
      : meter.createCounter(METRIC_MIMA_GUARD_CALLS, {
          description: 'AI SDK calls the guard saw, attested or not',
          unit: '{call}',
        });
  update();
}

/** Starts (true) or stops keeping per-call-site tallies for the JSONL summary line. */
export function keepTallies(on: boolean): void {
  tallies = on ? (tallies ?? new Map()) : undefined;
  update();
}

/** The tallies since the last call, and a fresh start; empty when none are kept. */
export function takeTallies(): Map<string, CallTally> {
  const taken = tallies ?? new Map<string, CallTally>();
  if (tallies) tallies = new Map();
  return taken;
}

export function countCall(callSite: string, attested: boolean): void {
  counter?.add(1, { [ATTR_MIMA_CALL_SITE]: callSite, [ATTR_MIMA_ATTESTED]: attested });
  if (!tallies) return;
  let tally = tallies.get(callSite);
  if (!tally) tallies.set(callSite, (tally = { attested: 0, unattested: 0 }));
  if (attested) tally.attested++;
  else tally.unattested++;
}

/** Inside an attested call already counted (see COUNTED_KEY). */
export function insideCountedCall(): boolean {
  return context.active().getValue(COUNTED_KEY) === true;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export function runCounted(fn: Function, self: unknown, args: unknown[]): unknown {
  return context.with(context.active().setValue(COUNTED_KEY, true), () => fn.apply(self, args) as unknown);
}
