import { guardLog } from '../safe-log';
import { warnGuardProblem } from '../warnings';
import type * as LogFileCode from './log-file';

/** Why records were given up, on the `dropped` marker: the fault in force when the first was. */
export type DropReason = 'log-path-refused' | 'log-unwritable' | 'queue-full';

type Fault = 'write' | 'refused' | 'overflow';

/**
 * What a JSONL file sink says about its faults: each kind once (to diag, or as a guard problem on
 * stderr, where people look), until a batch is written again.
 */
export class JsonlFaults {
  private readonly faults = new Set<Fault>();

  constructor(
    private readonly file: string,
    /** Whether records still queued at exit go to the default log (else they are lost). */
    private readonly hasFallback: boolean,
  ) {}

  /** The reason for a record given up now: the fault in force. */
  dropReason(): DropReason {
    if (this.faults.has('refused')) return 'log-path-refused';
    return this.faults.has('write') ? 'log-unwritable' : 'queue-full';
  }

  overflow(maxQueued: number): void {
    this.once('overflow', () =>
      guardLog.warn(`JSONL report ${this.file}: ${maxQueued} records are waiting; further ones are counted`),
    );
  }

  /** A write failed: a path the guard will not write (a symlink, not a regular file), or an unwritable file. */
  failed(error: unknown, code: typeof LogFileCode): void {
    if (error instanceof code.UnsafeLogPathError) return this.refused(error.message);
    if (error instanceof code.NotRegularFileError || (error as NodeJS.ErrnoException).code === 'ELOOP') {
      return this.refused(`${this.file}: it is a symlink or not a regular file`);
    }
    this.once('write', () =>
      warnGuardProblem(
        'MIMA_GUARD_LOG_UNWRITABLE',
        `cannot write the guard's JSONL report ${this.file} (${describeError(error)}); records are kept in memory and retried${this.atExit()}`,
      ),
    );
  }

  /**
   * The file is one the guard will not write: records wait in memory (written there once the path
   * is fixed, as a reconfiguration may do) and go to the fallback at exit.
   */
  private refused(why: string): void {
    this.once('refused', () =>
      warnGuardProblem(
        'MIMA_GUARD_LOG_PATH_REFUSED',
        `refusing to write the guard's JSONL report ${why}. Records are kept in memory and retried${this.atExit()}`,
      ),
    );
  }

  /** A batch was written: every fault is over, and a file that was failing is said to be back. */
  written(): void {
    const wasFailing = this.faults.has('write') || this.faults.has('refused');
    this.faults.clear();
    if (wasFailing) guardLog.warn(`JSONL report ${this.file} is writable again`);
  }

  /** What becomes of records still queued when the process ends, for the warnings. */
  private atExit(): string {
    return this.hasFallback
      ? ', and go to the default log if the process ends first'
      : ', and are lost if the process ends first';
  }

  private once(fault: Fault, report: () => void): void {
    if (this.faults.has(fault)) return;
    this.faults.add(fault);
    report();
  }
}

function describeError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
}
