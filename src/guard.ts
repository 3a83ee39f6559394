import { randomUUID } from 'node:crypto';
import { diag } from '@opentelemetry/api';
import { runCovered } from './attestation';
import { captureCallLocation } from './call-location';
import type { ResolvedConfig } from './config';
import { MimaAttestationError } from './errors';
import type { AnyMethod, SdkDefinition } from './sdks/definition';
import type { SinkChain } from './sinks/chain';
import type { Reporting } from './sinks/reporting';
import type { CallDescription, DetectionRecord } from './types';
import { PACKAGE_NAME } from './version';

const log = diag.createComponentLogger({ namespace: PACKAGE_NAME });

export const WARNING_TYPE = 'MimaUnattestedCallWarning';

/** The decision for one unattested call: build the record, react per mode, report it. */
export class GuardRuntime {
  /** (call site, code location) pairs already warned about, as Python's default filter keeps. */
  private readonly warned = new Set<string>();

  readonly sinks: SinkChain;

  constructor(
    readonly config: ResolvedConfig,
    /** The sinks; a reconfiguration keeps the writers whose target did not change. */
    readonly reporting: Reporting,
  ) {
    this.sinks = reporting.chain;
  }

  check(call: CallDescription): MimaAttestationError | undefined {
    const { mode, workspaceId, captureCallSite } = this.config;
    const location = captureCallSite ? captureCallLocation() : undefined;
    const record: DetectionRecord = {
      ts: new Date().toISOString(),
      call_site: call.callSite,
      attested: false,
      mode,
      blocked: mode === 'block',
      code_file: location?.file ?? null,
      code_line: location?.line ?? null,
      workspace_id: workspaceId,
      pid: process.pid,
      id: randomUUID(),
    };
    const where = location ? `${location.file}:${location.line}` : undefined;
    if (mode === 'warn') this.warn(record, where);
    try {
      this.sinks.report(record, call);
    } catch (error) {
      log.error(`failed to report an unattested call to ${call.callSite}`, error);
    }
    return mode === 'block' ? new MimaAttestationError(call.callSite, where) : undefined;
  }

  private warn(record: DetectionRecord, where: string | undefined): void {
    const key = `${record.call_site}\0${where ?? ''}`;
    if (this.config.warnOnce) {
      if (this.warned.has(key)) return;
      this.warned.add(key);
    }
    process.emitWarning(
      `Unattested AI call ${record.call_site}${where ? ` at ${where}` : ''} runs outside attest(). ` +
        'Wrap the function that makes it in attest() to attest it.',
      { type: WARNING_TYPE, code: 'MIMA_UNATTESTED_CALL' },
    );
  }
}

let active: GuardRuntime | undefined;

export function activeGuard(): GuardRuntime | undefined {
  return active;
}

export function setActiveGuard(guard: GuardRuntime | undefined): void {
  active = guard;
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
): unknown {
  let blocked: MimaAttestationError | undefined;
  try {
    blocked = active?.check(definition.describe(self, args, name));
  } catch (error) {
    log.error(`guard check failed for a ${definition.module} call; the call goes through`, error);
  }
  if (blocked) return definition.fail(original, self, args, blocked, name);
  return definition.coversInnerCalls ? runCovered(original, self, args) : original.apply(self, args);
}
