import { configFromArgument, resolveConfig } from './config';
import { MimaGuardInstrumentation } from './instrumentation';
import { activeGuard } from './guard';
import { sdkStatuses } from './sdk-status';
import type { GuardStatus, MimaGuardConfig, Mode } from './types';
import { guardProblems } from './warnings';

let instance: MimaGuardInstrumentation | undefined;

/**
 * Enables the guard, like the Python guard's enable_guard(). Call it once at start-up,
 * before the AI SDKs are imported. A second call reconfigures the same instance; it never
 * patches twice.
 */
export function enableGuard(config?: MimaGuardConfig | Mode): MimaGuardInstrumentation {
  const resolvedArgument = configFromArgument(config);
  if (instance) {
    instance.setConfig(resolvedArgument);
    instance.enable();
  } else {
    instance = new MimaGuardInstrumentation(resolvedArgument);
  }
  return instance;
}

/** Unpatches every SDK and flushes and closes every sink; the SDKs then behave as unpatched. */
export async function disableGuard(): Promise<void> {
  const current = instance;
  if (!current) return;
  current.disable();
  await current.whenClosed();
}

/**
 * What the guard is doing now: mode, report file, per SDK the loaded versions and patch points, and
 * the blind spots seen (the MimaGuardWarnings said on stderr).
 */
export function getGuardStatus(): GuardStatus {
  const config = activeGuard()?.config ?? instance?.resolvedConfig ?? resolveConfig({});
  return {
    enabled: activeGuard() !== undefined,
    mode: config.mode,
    logFile: config.logFile,
    workspaceId: config.workspaceId,
    sdks: sdkStatuses(),
    problems: [...guardProblems()],
  };
}
