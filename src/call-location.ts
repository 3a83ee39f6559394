import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface CodeLocation {
  file: string;
  line: number;
}

/**
 * The guard's own code: the compiled build/src, and src/ where --enable-source-maps maps its
 * frames back to the TypeScript. Its frames are never the caller.
 */
const OWN_DIRS = ((globalThis as Record<symbol, unknown>)[
  Symbol.for('@mima-governance/instrumentation-guard.own-dirs.v1')
] ??= []) as string[];
// Process-wide: with two copies of the package loaded, the wrapper and the runtime in force may be
// different copies', and neither copy's frames are the caller.
for (const dir of [__dirname, path.resolve(__dirname, '..', '..', 'src')]) {
  if (!OWN_DIRS.includes(dir)) OWN_DIRS.push(dir);
}

/** A frame's file:line:column, when the file is a path or file URL (not node:internal/...). */
const FRAME = /(?:\(|^at )((?:file:\/\/)?\/[^():]+|[A-Za-z]:\\[^():]+):(\d+):\d+\)?$/;

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type AnyFunction = Function;

/**
 * The user's line that made the AI call: the first stack frame outside node internals,
 * node_modules and the guard. Paths under the working directory are made relative.
 * Runs only for unattested calls, never on the attested path. `below`: a function of the guard
 * on the stack under which the caller is; the frames from it up are the guard's own, which V8
 * then skips without capturing them (each captured frame costs about a microsecond in a real app).
 */
export function captureCallLocation(below: AnyFunction = captureCallLocation): CodeLocation | undefined {
  const limit = Error.stackTraceLimit;
  try {
    // Source-mapped positions exist only in the formatted stack; without source maps the
    // structured frames give the same answer at a fraction of the cost (no string formatting).
    if (!sourceMapsEnabled()) {
      // First only as many frames as the callers found so far needed; a deeper stack takes the
      // long way once.
      const first = firstFrames.get(below) ?? (below === captureCallLocation ? 8 : 4);
      Error.stackTraceLimit = first;
      const found = locationFromFrames(below);
      if (found !== 'not found') return found?.location;
      Error.stackTraceLimit = MAX_FRAMES;
      const second = locationFromFrames(below);
      if (second === 'not found' || second === undefined) return undefined;
      if (firstFrames.size < MAX_STARTING_POINTS) {
        firstFrames.set(below, Math.min(MAX_FRAMES, Math.max(first, second.frames)));
      }
      return second.location;
    }
    Error.stackTraceLimit = MAX_FRAMES;
    // A formatter someone installed may return anything, or throw: only a string is read.
    const stack = formattedStack();
    const mapped = typeof stack === 'string' ? locationFromStack(stack) : undefined;
    if (mapped) return mapped;
    const frames = locationFromFrames(captureCallLocation);
    return frames === 'not found' ? undefined : frames?.location;
  } catch {
    // A stack the app's hooks made impossible to read: the record has no location, the call goes on.
    return undefined;
  } finally {
    Error.stackTraceLimit = limit;
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
/** The starting points are this module's function and each guard copy's handler: a handful. */
const MAX_STARTING_POINTS = 16;
const MAX_FRAMES = 50;

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

const structuredFrames = (_error: Error, frames: NodeJS.CallSite[]) => frames;

/**
 * The first caller frame among the structured frames (up to Error.stackTraceLimit of them), and
 * how many frames it took; undefined when none is, 'not found' when every frame was a library's
 * and the stack was cut at the limit (a longer capture may find the caller).
 */
function locationFromFrames(
  below: AnyFunction,
): { location: CodeLocation; frames: number } | undefined | 'not found' {
  const prepare = Error.prepareStackTrace;
  Error.prepareStackTrace = structuredFrames;
  const holder: { stack?: NodeJS.CallSite[] } = {};
  let frames: NodeJS.CallSite[];
  try {
    Error.captureStackTrace(holder, below);
    frames = holder.stack ?? []; // made by structuredFrames: read while it is in place
  } finally {
    Error.prepareStackTrace = prepare;
  }
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

/**
 * A frame's file as a record shows it, or undefined for a library's (node_modules, the guard).
 * Kept per file name and working directory: a process calls from a handful of files, and
 * path.relative() and fileURLToPath() cost more than the rest of the lookup.
 */
const callerFiles = new Map<string, string | null>();
let callerFilesCwd = '';
const MAX_CALLER_FILES = 1000;

function callerFile(name: string): string | undefined {
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

export function locationFromStack(stack: string): CodeLocation | undefined {
  for (const line of stack.split('\n').slice(1)) {
    const match = FRAME.exec(line.trim());
    if (!match) continue;
    const file = match[1].startsWith('file://') ? fileURLToPath(match[1]) : match[1];
    if (isLibraryFrame(file)) continue;
    return { file: displayPath(file), line: Number(match[2]) };
  }
  return undefined;
}

function isLibraryFrame(file: string): boolean {
  return file.includes(`${path.sep}node_modules${path.sep}`) || isGuardFile(file);
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
