/**
 * What a patched SDK method hands its call to (patch.ts decides which): an unattested call is
 * checked and reported, a wrapped client's call and an attested one run as they are, covered or
 * counted where the network backstop or the call counts need it.
 */
import { isCovered, runCovered, runCoveredIfCarried } from './attestation';
import { isCoveredTransport } from './covered-transport';
import { countCall, countingCalls, insideCountedCall, runCounted } from './coverage/call-counts';
import { errorKind, type MimaAttestationError } from './errors';
import { activeGuard } from './guard';
import { guardLog } from './safe-log';
import type { AnyMethod, SdkDefinition } from './sdks/definition';
import { notedCallerFor } from './sdks/noted-caller';

const log = guardLog;

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type AnyFunction = Function;

/**
 * Called by a patched method for a call that is not attested. Only block mode's deliberate
 * MimaAttestationError reaches the caller; any fault of the guard's own lets the call through.
 */
export function onUnattestedCall(
  definition: SdkDefinition,
  original: AnyMethod,
  self: unknown,
  args: unknown[],
  name: string,
  below: AnyFunction = onUnattestedCall,
): unknown {
  let blocked: MimaAttestationError | undefined;
  try {
    const call = definition.describe(self, args, name);
    if (countingCalls) countCall(call.callSite, false);
    // The caller is below the patched method's wrapper (or this function) on the stack: the
    // guard's frames above it are skipped without being captured.
    // An SDK whose patch point runs after its own awaits: the caller its public method noted.
    const noted = definition.callerEntries ? notedCallerFor(definition.module) : undefined;
    blocked = activeGuard()?.check(call, below, noted);
  } catch (error) {
    try {
      activeGuard()?.checkFailed(definition.module, error, below);
    } catch {
      // At the stack limit even the fallback can overflow: the guard's RangeError stays here.
    }
  }
  if (blocked) return definition.fail(original, self, args, blocked, name);
  // Covered: the inner patched calls of SDKs built on others, and the call's own requests,
  // which the network backstop would otherwise report a second time.
  return definition.coversInnerCalls || activeGuard()?.networkHosts !== undefined
    ? runCovered(original, self, args)
    : original.apply(self, args);
}

/**
 * Called by a patched method for a call through a client given to MimaGovernance.wrap(). The call
 * is attested; while the network backstop is on, it runs covered so that its requests are too,
 * where the context can carry that without creating the guard's own store (an app that only
 * wraps clients never gets one): see the backstop for the case where it cannot.
 */
export function onAttestedClientCall(
  definition: SdkDefinition,
  original: AnyMethod,
  self: unknown,
  args: unknown[],
  name: string,
): unknown {
  if (countingCalls) countAttestedCall(definition, self, args, name);
  return activeGuard()?.networkHosts !== undefined
    ? runCoveredIfCarried(original, self, args)
    : original.apply(self, args);
}

/**
 * An attested call while calls are counted (a MeterProvider, or the JSONL coverage summary).
 * The transport of a reported or counted call is part of it and is not counted again.
 */
export function onAttestedCall(
  definition: SdkDefinition,
  original: AnyMethod,
  self: unknown,
  args: unknown[],
  name: string,
): unknown {
  // The transport of a reported or counted call is part of it; a call that user code makes
  // inside it (a tool's execute) is one of its own and is counted.
  if ((isCovered() || insideCountedCall()) && isCoveredTransport(onAttestedCall)) {
    return original.apply(self, args);
  }
  countAttestedCall(definition, self, args, name);
  return definition.coversInnerCalls ? runCounted(original, self, args) : original.apply(self, args);
}

let countFailed = false;

function countAttestedCall(definition: SdkDefinition, self: unknown, args: unknown[], name: string): void {
  try {
    countCall(definition.describe(self, args, name).callSite, true);
  } catch (error) {
    if (countFailed) return;
    countFailed = true;
    log.error(
      `counting an attested ${definition.module} call failed (${errorKind(error)}); the call goes through`,
    );
  }
}
