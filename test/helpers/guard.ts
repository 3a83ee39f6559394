import * as fs from 'node:fs';
import * as path from 'node:path';
import { enableGuard } from '../../src/app/enable';
import { MimaAttestationError } from '../../src/app/errors';
import { activeGuard } from '../../src/app/guard';
import type { DetectionRecord, MimaGuardConfig } from '../../src/app/types';
import { readLogRecords } from './log-lines';
import { tempDir } from './temp-dir';

export const ROOT = path.resolve(__dirname, '..', '..', '..');

const TEST_DIR = tempDir('mima-test-');

/** A private temp directory per test process for the JSONL report. */
export const LOG_FILE = path.join(TEST_DIR, 'guard_log.jsonl');

/** No daemon listens here unless a test starts one: tests never reach the user's own daemon. */
export const SOCKET_PATH = path.join(TEST_DIR, 'daemon.sock');

/** Enables (or reconfigures) the process-wide guard with the test log file and socket. */
export function useGuard(config: MimaGuardConfig = {}) {
  return enableGuard({ logFile: LOG_FILE, socketPath: SOCKET_PATH, ...config });
}

/** Records written so far (after flushing the active sinks). */
export async function readRecords(file = LOG_FILE): Promise<DetectionRecord[]> {
  await activeGuard()?.sinks.flush();
  return readLogRecords(file, { missing: 'empty' });
}

export async function clearRecords(file = LOG_FILE): Promise<void> {
  await activeGuard()?.sinks.flush();
  if (fs.existsSync(file)) fs.truncateSync(file, 0);
}

/** Collects the guard's process warnings until stop(). */
export function captureWarnings() {
  const warnings: Error[] = [];
  const listener = (warning: Error) => {
    if (warning.name === 'MimaUnattestedCallWarning') warnings.push(warning);
  };
  process.on('warning', listener);
  return {
    warnings,
    /** process.emitWarning delivers on the next tick. */
    async settle() {
      await new Promise((resolve) => setImmediate(resolve));
    },
    stop() {
      process.removeListener('warning', listener);
    },
  };
}

/** An assert.rejects check: the guard's own error, naming this call site. */
export function isCallSite(callSite: string) {
  return (error: unknown) => error instanceof MimaAttestationError && error.callSite === callSite;
}

/** The SDKs' stream and tool-runner helpers re-wrap any error; the guard's error is then the cause. */
export function isGuardErrorOrCause(error: unknown): boolean {
  return error instanceof MimaAttestationError || (error as Error).cause instanceof MimaAttestationError;
}
