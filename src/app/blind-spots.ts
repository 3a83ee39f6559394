import { guardProblems, warnGuardProblem } from './warnings';
import { PACKAGE_NAME } from './version';

/**
 * Blind spots the guard can only infer (it never sees the SDK load), and what `strict` does with
 * every blind spot. Each is said once per kind through warnGuardProblem.
 */

/** Set by register.ts once the import-in-the-middle loader is registered. */
const ESM_HOOK_FLAG = Symbol.for(`${PACKAGE_NAME}.esm-hook`);

/**
 * A preloaded ES module or loader: it may register the hook itself (an OpenTelemetry set-up file
 * given to --import calls module.register), which the guard cannot see. The first unpatched request
 * still tells (warnUnpatchedRequest), so the start-up warning leaves these alone rather than cry wolf.
 */
const LOADER_FLAG = /^--(?:import|loader|experimental-loader)(?:=|$)/;

/**
 * The main module is an ES module and no loader hook can see its imports: SDKs it imports are never
 * patched. Checked at enable; `require.main` is unset exactly when the entry is not CommonJS (argv[1]
 * rules out -e and the REPL). SDK modules handed over in `config.modules` are the documented way out.
 */
export function warnIfEsmAppUnhooked(manualModules: number): void {
  if (manualModules > 0 || !process.argv[1] || require.main !== undefined) return;
  if ((process as unknown as Record<symbol, unknown>)[ESM_HOOK_FLAG] || loaderGiven()) return;
  warnGuardProblem(
    'MIMA_GUARD_ESM_UNHOOKED',
    `this is an ES module app and the guard's loader hook is not registered: AI SDKs it imports are ` +
      `not patched and their calls are not checked. Start it with ` +
      `node --import ${PACKAGE_NAME}/register <app>, or pass the SDK modules: enableGuard({ modules: { openai } })`,
  );
}

function loaderGiven(): boolean {
  return [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((arg) =>
    LOADER_FLAG.test(arg),
  );
}

/**
 * The network backstop reported a request no patched SDK call made: an SDK the guard cannot see
 * (imported by an unhooked ES module app, bundled, out of the supported range) or a raw HTTP call.
 * It is recorded, never checked at the SDK and never blocked.
 */
let unpatchedRequestSeen = false;

export function warnUnpatchedRequest(callSite: string): void {
  // Once: this runs per record, and warnGuardProblem logs to diag at every call.
  if (unpatchedRequestSeen) return;
  unpatchedRequestSeen = true;
  warnGuardProblem(
    'MIMA_GUARD_UNPATCHED_REQUEST',
    `a request to an AI API (${callSite}) was made outside any SDK call the guard patched: it is ` +
      `recorded, but such calls are not checked and never blocked. getGuardStatus() lists the SDKs ` +
      `and whether each is patched`,
  );
}

let strictInstalled = false;
let strict = false;

/**
 * `strict`: a process that saw a blind spot exits 1 where it would have exited 0. The exit code is
 * touched only then, and only when the user asked for it; an exit code the app set stands.
 * Installed after the sinks' exit flush, so records lost at exit count.
 */
export function useStrict(enabled: boolean): void {
  strict = enabled;
  if (!enabled || strictInstalled) return;
  strictInstalled = true;
  process.on('exit', failOnBlindSpots);
}

function failOnBlindSpots(): void {
  const problems = guardProblems();
  if (!strict || problems.length === 0) return;
  const code = process.exitCode;
  if (code !== undefined && code !== 0 && code !== '0') return;
  process.exitCode = 1;
  try {
    process.stderr.write(
      `${PACKAGE_NAME}: strict: exiting 1: ${problems.map((p) => p.code).join(', ')} (calls not checked or records not kept)\n`,
    );
  } catch {
    // stderr closed: the exit code stands.
  }
}
