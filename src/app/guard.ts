import type * as nodeCrypto from 'node:crypto';
import { context, type Context } from '@opentelemetry/api';
import { isCovered, runCovered, runCoveredIfCarried } from './attestation';
import type { CodeLocation } from './call-location';
import {
  captureCallLocationOrStack,
  prepareCallerMaps,
  resolveDeferredStack,
  type DeferredStack,
} from './sinks/deferred-stack';
import { isCoveredTransport } from './covered-transport';
import type { ResolvedConfig } from './config';
import { countCall, countingCalls, insideCountedCall, runCounted } from './coverage/call-counts';
import { errorKind, MimaAttestationError } from './errors';
import type { AnyMethod, SdkDefinition } from './sdks/definition';
import { notedCallerFor, type NotedCaller } from './sdks/noted-caller';
import type { SinkChain } from './sinks/chain';
import { deferRecord, drainingAtExit } from './sinks/pending-records';
import type { Reporting } from './sinks/reporting';
import { HostMatcher } from './network/hosts';
import type { CallDescription, DetectionRecord } from './types';
import { guardLog } from './safe-log';

const log = guardLog;

export const WARNING_TYPE = 'MimaUnattestedCallWarning';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type AnyFunction = Function;

let randomUUID: typeof nodeCrypto.randomUUID | undefined;

/**
 * node:crypto takes 2-3 ms to load, which every process would pay at start-up: it waits for the
 * first record. process.getBuiltinModule (Node 20.16+) reaches it past a test runner's module
 * sandbox, which may refuse a require by then (Jest, after its environment is torn down).
 */
function recordId(): string {
  randomUUID ??= (
    process.getBuiltinModule?.('node:crypto') ??
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('node:crypto') as typeof nodeCrypto)
  ).randomUUID;
  return randomUUID();
}

/** The decision for one unattested call: build the record, react per mode, report it. */
export class GuardRuntime {
  /** (call site, code location) pairs already warned about, as Python's default filter keeps. */
  private readonly warned = new Set<string>();

  readonly sinks: SinkChain;

  /**
   * The AI API hosts the network backstop reports, when it is on. While it is, the SDK calls the
   * guard lets through run covered, so their own requests are not reported a second time.
   */
  readonly networkHosts: HostMatcher | undefined;

  constructor(
    readonly config: ResolvedConfig,
    /** The sinks; a reconfiguration keeps the writers whose target did not change. */
    readonly reporting: Reporting,
  ) {
    this.sinks = reporting.chain;
    this.networkHosts = config.networkBackstop ? new HostMatcher(config.networkHosts) : undefined;
    if (config.captureCallSite) prepareCallerMaps();
  }

  /** An unattested SDK call: in block mode, the error the SDK definition fails the call with. */
  check(call: CallDescription, below?: AnyFunction, noted?: NotedCaller): MimaAttestationError | undefined {
    const { mode } = this.config;
    const where = this.detect(call, mode === 'block', mode === 'warn' ? '' : undefined, below, noted);
    return mode === 'block' ? new MimaAttestationError(call.callSite, where) : undefined;
  }

  /**
   * A request to a listed AI host that no patched SDK call made (the network backstop). It is
   * already on its way and is never blocked: block mode reports it with `blocked: false` and warns.
   */
  checkRequest(call: CallDescription): void {
    this.detect(call, false, this.notBlockedNote('the guard sees it only on the network'));
  }

  /** The warning's extra sentence for a call reported but let through: none in report mode. */
  private notBlockedNote(why: string): string | undefined {
    const { mode } = this.config;
    if (mode === 'report') return undefined;
    return mode === 'block' ? ` It was not blocked: ${why}.` : '';
  }

  /** Modules whose calls the guard could not check: one diag message each, not one per call. */
  private readonly checkFaults = new Set<string>();

  /**
   * The guard could not check a call (the SDK definition failed to describe it: an SDK that changed
   * shape, a hostile request). The call goes through, and is still reported, as `<module>.unknown`
   * with `blocked: false`; the fault is logged once per SDK.
   */
  checkFailed(module: string, error: unknown, below?: AnyFunction): void {
    try {
      if (!this.checkFaults.has(module)) {
        this.checkFaults.add(module);
        // The error's kind only: its message or stack may hold the prompt (a request getter
        // that throws with it), and nothing from a user object reaches the guard's outputs.
        log.error(`guard check failed for a ${module} call (${errorKind(error)}); the call goes through`);
      }
      const note = this.notBlockedNote('the guard could not check it');
      this.detect(
        { callSite: `${module}.unknown`, provider: module, operation: 'unknown' },
        false,
        note,
        below,
      );
    } catch {
      // Logged above; the call goes through either way.
    }
  }

  /**
   * Decides on the call path what the decision needs (block mode's location, for its error) and
   * keeps the call's time, active context and stack; the record is built, warned about and
   * reported off the call path (pending-records.ts), in call order, before anything that awaits
   * the call runs. `warning`: an extra sentence for the warning, or '' (undefined: no warning).
   * `below`: the guard's function on the stack under which the caller is (see captureCallLocation);
   * `noted`: the caller its SDK's public method noted, where the stack here has none.
   * Returns the caller's file:line, when known now.
   */
  private detect(
    call: CallDescription,
    blocked: boolean,
    warning: string | undefined,
    below?: AnyFunction,
    noted?: NotedCaller,
  ): string | undefined {
    const time = Date.now();
    const parent = context.active();
    let where: CodeLocation | DeferredStack | undefined = !this.config.captureCallSite
      ? undefined
      : (noted?.where ?? captureCallLocationOrStack(below));
    if (blocked && where !== undefined && 'holder' in where) {
      // The error names the location now: a map not decoded yet is decoded on this thread, once.
      const resolved = resolveDeferredStack(where, false);
      where = resolved === 'pending' ? undefined : resolved;
    }
    deferRecord({
      where,
      finish: (location) => this.finish(call, blocked, warning, time, parent, location),
    });
    return where !== undefined && !('holder' in where) ? `${where.file}:${where.line}` : undefined;
  }

  /** The record of a call detected at `time`, its warning, and its reporting to the sinks. */
  private finish(
    call: CallDescription,
    blocked: boolean,
    warning: string | undefined,
    time: number,
    parent: Context,
    location: CodeLocation | undefined,
  ): void {
    const { mode, workspaceId } = this.config;
    const record: DetectionRecord = {
      ts: new Date(time).toISOString(),
      call_site: call.callSite,
      attested: false,
      mode,
      blocked,
      code_file: location?.file ?? null,
      code_line: location?.line ?? null,
      workspace_id: workspaceId,
      pid: process.pid,
      id: recordId(),
    };
    const where = location ? `${location.file}:${location.line}` : undefined;
    try {
      if (warning !== undefined) this.warn(record, where, warning);
    } catch {
      // process.emitWarning under an app's hostile Error (or at the stack limit): the record
      // still goes out, and block mode still blocks.
    }
    try {
      this.sinks.report(record, call, { parent, time });
    } catch (error) {
      log.error(`failed to report an unattested call to ${call.callSite}`, error);
    }
  }

  private warn(record: DetectionRecord, where: string | undefined, note: string): void {
    const key = `${record.call_site}\0${where ?? ''}`;
    if (this.config.warnOnce) {
      if (this.warned.has(key)) return;
      this.warned.add(key);
    }
    const message =
      `Unattested AI call ${record.call_site}${where ? ` at ${where}` : ''} runs outside attest(). ` +
      'Wrap the function that makes it in attest() to attest it.' +
      note;
    if (!drainingAtExit()) {
      process.emitWarning(message, { type: WARNING_TYPE, code: 'MIMA_UNATTESTED_CALL' });
      return;
    }
    // At exit no tick comes for emitWarning's own emit: the 'warning' event is emitted now, so
    // Node's printer (absent under --no-warnings) and the app's listeners get it as usual.
    const warning = Object.assign(new Error(message), { name: WARNING_TYPE, code: 'MIMA_UNATTESTED_CALL' });
    process.emit('warning', warning);
  }
}

/**
 * The runtime in force, process-wide rather than per copy of this package: with two copies loaded
 * (npm nests two versions), a method is wrapped once, by one copy's wrapper, which must report
 * through whichever copy's instance is enabled (the two record formats are the same).
 */
const shared: { active: GuardRuntime | undefined } = ((globalThis as Record<symbol, unknown>)[
  Symbol.for('@mima-governance/instrumentation-guard.runtime.v1')
] ??= { active: undefined }) as { active: GuardRuntime | undefined };

export function activeGuard(): GuardRuntime | undefined {
  return shared.active;
}

export function setActiveGuard(guard: GuardRuntime | undefined): void {
  shared.active = guard;
}

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
    blocked = shared.active?.check(call, below, noted);
  } catch (error) {
    try {
      shared.active?.checkFailed(definition.module, error, below);
    } catch {
      // At the stack limit even the fallback can overflow: the guard's RangeError stays here.
    }
  }
  if (blocked) return definition.fail(original, self, args, blocked, name);
  // Covered: the inner patched calls of SDKs built on others, and the call's own requests,
  // which the network backstop would otherwise report a second time.
  return definition.coversInnerCalls || shared.active?.networkHosts !== undefined
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
  return shared.active?.networkHosts !== undefined
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
