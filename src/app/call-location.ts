import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface CodeLocation {
  file: string;
  line: number;
}

/**
 * The guard's own code: the compiled build/src (this file is in build/src/app), and src/ where --enable-source-maps maps its
 * frames back to the TypeScript. Its frames are never the caller.
 */
const OWN_DIRS = ((globalThis as Record<symbol, unknown>)[
  Symbol.for('@mima-governance/instrumentation-guard.own-dirs.v1')
] ??= []) as string[];
// Process-wide: with two copies of the package loaded, the wrapper and the runtime in force may be
// different copies', and neither copy's frames are the caller.
// Unbundled, this file is build/src/app/call-location.js, and the guard's code is all of build/src.
// Bundled into an app, __filename is the bundle and __dirname its directory, whose parent is
// anything (/tmp, the app's root): only the bundle's own directory is taken then.
const UNBUNDLED = __filename.endsWith(path.join('src', 'app', 'call-location.js'));
const OWN_ROOT = UNBUNDLED ? path.resolve(__dirname, '..') : __dirname;
for (const dir of [OWN_ROOT, path.resolve(OWN_ROOT, '..', '..', 'src')]) {
  if (!OWN_DIRS.includes(dir)) OWN_DIRS.push(dir);
}

/**
 * Directories of the SDK packages the guard hooked (from their package.json lookup): an SDK run
 * from its own repository (its own tests) is not under node_modules, and its frames are not the
 * caller either. Process-wide, like OWN_DIRS: the copy that hooked a package may not be the one
 * whose runtime captures the location.
 */
const SDK_DIRS = ((globalThis as Record<symbol, unknown>)[
  Symbol.for('@mima-governance/instrumentation-guard.sdk-dirs.v1')
] ??= []) as string[];
const MAX_SDK_DIRS = 100;

/** A hooked SDK package's directory: frames in it are skipped like node_modules frames. */
export function addSdkDirectory(dir: string): void {
  if (typeof dir !== 'string' || !path.isAbsolute(dir) || SDK_DIRS.includes(dir)) return;
  if (SDK_DIRS.length >= MAX_SDK_DIRS) return;
  SDK_DIRS.push(dir);
  callerFiles.clear(); // a file kept as a caller may lie in it
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type AnyFunction = Function;

/**
 * The user's line that made the AI call: the first stack frame outside node internals,
 * node_modules, the hooked SDKs' own directories and the guard. Paths under the working directory
 * are made relative. Runs only for unattested calls, never on the attested path. `below`: a
 * function of the guard on the stack under which the caller is; the frames from it up are the
 * guard's own, which V8 then skips without capturing them (each captured frame costs about a
 * microsecond in a real app).
 *
 * Never throws, and runs no regular expression (V8 compiles one on its first run, and a compile
 * near the stack limit can abort the process): a frozen or hostile `Error` (--frozen-intrinsics,
 * a limit that cannot be set, a formatter or getter that throws), or a stack about to overflow,
 * costs the record its location, never the call its decision.
 */
export function captureCallLocation(below: AnyFunction = captureCallLocation): CodeLocation | undefined {
  let limit: unknown;
  try {
    limit = Error.stackTraceLimit;
    return locate(below);
  } catch {
    return undefined;
  } finally {
    setStackTraceLimit(limit);
  }
}

function locate(below: AnyFunction): CodeLocation | undefined {
  // Source-mapped positions exist only in the formatted stack; without source maps the
  // structured frames give the same answer at a fraction of the cost (no string formatting).
  if (!sourceMapsEnabled()) {
    // First only as many frames as the callers found so far needed; a deeper stack takes the
    // long way once.
    const first = firstFrames.get(below) ?? (below === captureCallLocation ? 8 : 4);
    setStackTraceLimit(first);
    const found = locationFromFrames(below);
    if (found !== 'not found') return found?.location;
    if (!setStackTraceLimit(MAX_FRAMES)) return undefined;
    const second = locationFromFrames(below);
    if (second === 'not found' || second === undefined) return undefined;
    if (firstFrames.size < MAX_STARTING_POINTS) {
      firstFrames.set(below, Math.min(MAX_FRAMES, Math.max(first, second.frames)));
    }
    return second.location;
  }
  setStackTraceLimit(MAX_FRAMES);
  // A formatter someone installed may return anything, or throw: only a string is read.
  const stack = formattedStack();
  const mapped = typeof stack === 'string' ? locationFromStack(stack) : undefined;
  if (mapped) return mapped;
  const frames = locationFromFrames(captureCallLocation);
  return frames === 'not found' ? undefined : frames?.location;
}

/** Sets Error.stackTraceLimit where the app left it writable; false where it cannot be set. */
export function setStackTraceLimit(limit: unknown): boolean {
  try {
    // Reflect.set answers false for a frozen Error instead of throwing.
    return Reflect.set(Error, 'stackTraceLimit', limit) && Error.stackTraceLimit === limit;
  } catch {
    return false; // a setter that throws
  }
}

function formattedStack(): unknown {
  try {
    return new Error().stack;
  } catch {
    // The app's Error.prepareStackTrace threw: the structured frames still tell the caller.
    return undefined;
  }
}

/**
 * Frames taken by the first capture, per starting point: at first 4 under the patched method's
 * handler (its wrapper and the SDK's own frames, openai's `create` and `post`, come before the
 * caller's) and 8 otherwise; then as many as the deepest caller found so far needed (in a traced
 * app, an instrumentation that wraps the SDK too adds its own five), so that a process's usual
 * call paths are found in one capture.
 */
const firstFrames = new Map<AnyFunction, number>();
/** The starting points are this module's function and each patched method's wrapper. */
export const MAX_STARTING_POINTS = 256;
export const MAX_FRAMES = 50;

/**
 * Node's own source maps (--enable-source-maps), or a stack formatter someone installed in
 * place of Node's default: test runners that transform the code they run (Jest's babel-jest,
 * Vitest's module runner) install one that maps their frames back to the test file's lines.
 */
function sourceMapsEnabled(): boolean {
  if ((process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled === true) return true;
  const prepare = Error.prepareStackTrace;
  return typeof prepare === 'function' && prepare.name !== 'ErrorPrepareStackTrace';
}

export const structuredFrames = (_error: Error, frames: NodeJS.CallSite[]) => frames;

/**
 * The first caller frame among the structured frames (up to Error.stackTraceLimit of them), and
 * how many frames it took; undefined when none is, 'not found' when every frame was a library's
 * and the stack was cut at the limit (a longer capture may find the caller). Where the app's
 * Error does not let the guard put its formatter in place, the formatted stack is read instead.
 */
function locationFromFrames(
  below: AnyFunction,
): { location: CodeLocation; frames: number } | undefined | 'not found' {
  const prepare = Error.prepareStackTrace;
  const swapped = Reflect.set(Error, 'prepareStackTrace', structuredFrames);
  const holder: { stack?: unknown } = {};
  let captured: unknown;
  try {
    Error.captureStackTrace(holder, below);
    captured = holder.stack; // made by structuredFrames: read while it is in place
  } finally {
    if (swapped) Reflect.set(Error, 'prepareStackTrace', prepare);
  }
  if (typeof captured === 'string') return wrapLocation(locationFromStack(captured));
  if (!Array.isArray(captured)) return undefined;
  const frames = captured as NodeJS.CallSite[];
  for (let i = 0; i < frames.length; i++) {
    const name = frames[i].getFileName();
    if (!name || name.startsWith('node:')) continue;
    const display = callerFile(name);
    const line = frames[i].getLineNumber();
    if (display === undefined || line === null) continue;
    return { location: { file: display, line }, frames: i + 1 };
  }
  return frames.length >= Error.stackTraceLimit ? 'not found' : undefined;
}

function wrapLocation(location: CodeLocation | undefined) {
  return location ? { location, frames: MAX_FRAMES } : undefined;
}

/**
 * A frame's file as a record shows it, or undefined for a library's (node_modules, a hooked SDK,
 * the guard). Kept per file name and working directory: a process calls from a handful of files,
 * and path.relative() and fileURLToPath() cost more than the rest of the lookup.
 */
const callerFiles = new Map<string, string | null>();
let callerFilesCwd = '';
const MAX_CALLER_FILES = 1000;

export function callerFile(name: string): string | undefined {
  const cwd = process.cwd();
  if (cwd !== callerFilesCwd || callerFiles.size >= MAX_CALLER_FILES) {
    callerFiles.clear();
    callerFilesCwd = cwd;
  }
  let display = callerFiles.get(name);
  if (display === undefined) {
    const file = name.startsWith('file://') ? fileURLToPath(name) : name;
    display = path.isAbsolute(file) && !isLibraryFrame(file) ? displayPath(file) : null;
    callerFiles.set(name, display);
  }
  return display ?? undefined;
}

/** The first caller frame of a formatted stack (V8's `    at fn (file:line:col)` lines). */
export function locationFromStack(stack: string): CodeLocation | undefined {
  let start = stack.indexOf('\n') + 1; // the first line is the message
  while (start > 0 && start < stack.length) {
    const end = stack.indexOf('\n', start);
    const frame = framePosition(stack.slice(start, end < 0 ? stack.length : end).trim());
    start = end + 1;
    if (frame === undefined) continue;
    const file = frame.file.startsWith('file://') ? fileURLToPath(frame.file) : frame.file;
    if (isLibraryFrame(file)) continue;
    return { file: displayPath(file), line: frame.line };
  }
  return undefined;
}

/**
 * `at fn (file:line:col)` or `at file:line:col`, read with string operations only; undefined
 * unless the file is an absolute path or a file URL (not node:internal/..., not <anonymous>).
 */
function framePosition(text: string): { file: string; line: number } | undefined {
  if (!text.startsWith('at ')) return undefined;
  let position = text;
  if (text.endsWith(')')) {
    const open = text.lastIndexOf('(');
    if (open < 0) return undefined;
    position = text.slice(open + 1, -1);
  } else {
    position = text.slice(3);
  }
  const columnAt = position.lastIndexOf(':');
  const lineAt = columnAt > 0 ? position.lastIndexOf(':', columnAt - 1) : -1;
  if (lineAt <= 0 || !isDigits(position.slice(columnAt + 1))) return undefined;
  const lineText = position.slice(lineAt + 1, columnAt);
  const file = position.slice(0, lineAt);
  if (!isDigits(lineText) || !isAbsoluteFile(file)) return undefined;
  return { file, line: Number(lineText) };
}

function isDigits(text: string): boolean {
  if (text.length === 0 || text.length > 10) return false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 48 || code > 57) return false;
  }
  return true;
}

/** A POSIX path, a file URL or a Windows drive path (`C:\...`), none with parentheses in it. */
function isAbsoluteFile(file: string): boolean {
  if (file.includes('(') || file.includes(')')) return false;
  if (file.startsWith('file:///') || file.startsWith('/')) return true;
  const drive = file.charCodeAt(0) | 0x20; // lower case
  return file.length > 3 && drive >= 97 && drive <= 122 && file[1] === ':' && file[2] === '\\';
}

export function isLibraryFrame(file: string): boolean {
  return (
    file.includes(`${path.sep}node_modules${path.sep}`) ||
    isGuardFile(file) ||
    SDK_DIRS.some((dir) => file.startsWith(dir + path.sep))
  );
}

/** A file of the guard's own code (any copy's), which is never the caller. */
export function isGuardFile(file: string): boolean {
  return OWN_DIRS.some((dir) => file.startsWith(dir + path.sep));
}

/** Whether a stack frame's file is the caller's code, as records name it (not node:, a library, the guard). */
export function isCallerFrameFile(name: string | null | undefined): boolean {
  return !!name && !name.startsWith('node:') && callerFile(name) !== undefined;
}

function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}
