import type * as nodeCrypto from 'node:crypto';
import { context, type Context } from '@opentelemetry/api';
import type { CodeLocation } from './call-location';
import {
  captureCallLocationOrStack,
  prepareCallerMaps,
  resolveDeferredStack,
  type DeferredStack,
} from './sinks/deferred-stack';
import type { ResolvedConfig } from './config';
import { errorKind, MimaAttestationError } from './errors';
import type { NotedCaller } from './sdks/noted-caller';
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
