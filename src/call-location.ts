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
const OWN_DIRS = [__dirname, path.resolve(__dirname, '..', '..', 'src')];

/** A frame's file:line:column, when the file is a path or file URL (not node:internal/...). */
const FRAME = /(?:\(|^at )((?:file:\/\/)?\/[^():]+|[A-Za-z]:\\[^():]+):(\d+):\d+\)?$/;

/**
 * The user's line that made the AI call: the first stack frame outside node internals,
 * node_modules and the guard. Paths under the working directory are made relative.
 * Runs only for unattested calls, never on the attested path.
 */
export function captureCallLocation(): CodeLocation | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 50;
  try {
    // Source-mapped positions exist only in the formatted stack; without source maps the
    // structured frames give the same answer at half the cost (no string formatting).
    return sourceMapsEnabled() ? locationFromStack(new Error().stack ?? '') : locationFromFrames();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function sourceMapsEnabled(): boolean {
  return (process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled === true;
}

function locationFromFrames(): CodeLocation | undefined {
  const prepare = Error.prepareStackTrace;
  Error.prepareStackTrace = (_error, frames) => frames;
  const holder: { stack?: NodeJS.CallSite[] } = {};
  Error.captureStackTrace(holder, captureCallLocation);
  const frames = holder.stack ?? [];
  Error.prepareStackTrace = prepare;
  for (const frame of frames) {
    const name = frame.getFileName();
    const line = frame.getLineNumber();
    if (!name || line === null || name.startsWith('node:')) continue;
    const file = name.startsWith('file://') ? fileURLToPath(name) : name;
    if (!path.isAbsolute(file) || isLibraryFrame(file)) continue;
    return { file: displayPath(file), line };
  }
  return undefined;
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
  return (
    file.includes(`${path.sep}node_modules${path.sep}`) ||
    OWN_DIRS.some((dir) => file.startsWith(dir + path.sep))
  );
}

function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}
