import { guardLog } from './safe-log';

/**
 * The guard's own blind spots ("calls are not checked", "records cannot be kept") are said where
 * people look: `process.emitWarning` prints them on stderr by default, as the Python guard's
 * warnings do, besides the diag logger that most apps never register. One warning per kind
 * (`code`) per process, or per kind and subject where one kind can hit several things (each SDK that
 * cannot be patched); every one is kept for getGuardStatus().
 */
export const GUARD_WARNING_TYPE = 'MimaGuardWarning';

export interface GuardProblem {
  /** Stable per kind, `MIMA_GUARD_<KIND>`, e.g. MIMA_GUARD_SDK_UNSUPPORTED. */
  code: string;
  message: string;
}

interface ProblemState {
  problems: GuardProblem[];
  codes: Set<string>;
}

// Process-wide, so two copies of the package warn once between them.
const STATE_KEY = Symbol.for('@mima-governance/instrumentation-guard.problems.v1');
const state: ProblemState = ((globalThis as Record<symbol, ProblemState | undefined>)[STATE_KEY] ??= {
  problems: [],
  codes: new Set(),
});

/**
 * Says a blind spot once per kind: diag always, stderr (a MimaGuardWarning) the first time. With a
 * `subject` (a package and version), once per kind and subject: a second SDK the guard cannot patch
 * is a second blind spot, not a repeat of the first.
 */
export function warnGuardProblem(code: string, message: string, subject?: string): void {
  warn(code, message, exiting() || goingAway > 0, subject);
}

let goingAway = 0;

/**
 * Runs the flush a terminating signal starts (the guard's, which then re-raises the signal, or
 * kill() of the process itself): a problem found in it is emitted at once, as at exit, since the
 * signal may end the process before emitWarning's tick. Vitest stops its forks with SIGTERM, and
 * a log path refused in that last flush went unsaid.
 */
export function whileGoingAway(flush: () => void): void {
  goingAway++;
  try {
    flush();
  } finally {
    goingAway--;
  }
}

/**
 * The same, emitted at once: for what is found while the process is going away (the SIGINT/SIGTERM
 * flush, after which the guard re-raises the signal and no later tick runs).
 */
export function warnGuardProblemNow(code: string, message: string): void {
  warn(code, message, true);
}

function warn(code: string, message: string, now: boolean, subject?: string): void {
  guardLog.warn(message);
  const key = subject === undefined ? code : `${code}\u0000${subject}`;
  if (state.codes.has(key)) return;
  state.codes.add(key);
  state.problems.push({ code, message });
  try {
    if (now) emitNow(message, code);
    else process.emitWarning(message, { type: GUARD_WARNING_TYPE, code });
  } catch {
    // A --throw-deprecation-like flag or a replaced emitWarning: the diag line above stands.
  }
}

/** Node sets this before the 'exit' listeners run; emitWarning's next tick never comes then. */
function exiting(): boolean {
  return (process as unknown as { _exiting?: boolean })._exiting === true;
}

/**
 * What emitWarning does a tick later, done now: the 'warning' event, whose default listener
 * prints it on stderr (and which --no-warnings removes, as for any warning).
 */
function emitNow(message: string, code: string): void {
  const warning = Object.assign(new Error(message), { name: GUARD_WARNING_TYPE, code });
  process.emit('warning', warning);
}

/** Every kind of blind spot seen so far in this process, first message of each. */
export function guardProblems(): readonly GuardProblem[] {
  return state.problems.map((p) => ({ ...p }));
}
