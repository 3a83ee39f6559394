import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  callerFile,
  captureCallLocation,
  isGuardFile,
  isLibraryFrame,
  locationFromStack,
  MAX_FRAMES,
  MAX_STARTING_POINTS,
  setStackTraceLimit,
  structuredFrames,
  type CodeLocation,
} from '../call-location';
import { mapPosition, prepareMap } from './source-maps';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type AnyFunction = Function;

/**
 * A stack captured on the call path under Node's --enable-source-maps, to be read off it: V8
 * formats a captured stack only when `stack` is first read, so the capture costs what it costs
 * without source maps, and the frames are then read raw (generated positions) and mapped by the
 * guard (source-maps.ts), never through Node's formatter, which parses a map on the call that
 * first needs it. Only there: a deferred stack cannot be taken again, so a stack cut before the
 * caller would lose the location, where the call path's own read (captureCallLocation) takes a
 * longer one.
 */
export interface DeferredStack {
  holder: { stack?: unknown };
  below: AnyFunction;
  /** The frames captured: a stack cut there may hold the caller further down. */
  limit: number;
}

/**
 * The caller's location now, or, under Node's source maps in a bundle that holds the guard, the
 * stack to find it in off the call path (resolveDeferredStack). `below` must be on the stack (a
 * function V8 does not find leaves no frames): by default this function. Never throws.
 */
export function captureCallLocationOrStack(
  below: AnyFunction = captureCallLocationOrStack,
): CodeLocation | DeferredStack | undefined {
  // Only a bundle that holds the guard: its map is the large one, on disk next to it. Code that
  // Node maps from memory (Jest's transform under process.setSourceMapsEnabled, ts-node) has maps
  // only Node's formatter reaches, so the formatted stack is read there, as before.
  if (!GUARD_BUNDLED || !nodeSourceMaps()) return captureCallLocation(below);
  let limit: unknown;
  try {
    limit = Error.stackTraceLimit;
    const frames = mappedFrames.get(below) ?? MAX_FRAMES;
    if (!setStackTraceLimit(frames)) return captureCallLocation(below);
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder, below);
    return { holder, below, limit: frames };
  } catch {
    return undefined;
  } finally {
    setStackTraceLimit(limit);
  }
}

/** This module runs from a bundle (esbuild, webpack), not from the guard's own build of it. */
const GUARD_BUNDLED = path.basename(__filename) !== 'deferred-stack.js';

/**
 * Under Node's source maps, a bundle that holds the guard holds the app's calls too: its map is
 * decoded (in a worker) from the start, so the first record's location rarely waits for it.
 */
export function prepareCallerMaps(): void {
  try {
    if (GUARD_BUNDLED && nodeSourceMaps()) prepareMap(__filename);
  } catch {
    // Decoded when first needed instead.
  }
}

/**
 * Frames captured under source maps per starting point: all of them (MAX_FRAMES) until a caller
 * was found, then as many as the deepest caller found needed, plus a few.
 */
const mappedFrames = new Map<AnyFunction, number>();

/**
 * The first caller frame of a deferred stack, by the original positions its source maps give
 * (a bundle's frames are all one generated file: the map tells the app's from the SDK's and the
 * guard's). `wait`: answer 'pending' rather than decode a map on this thread.
 */
export function resolveDeferredStack(
  stack: DeferredStack,
  wait: boolean,
): CodeLocation | undefined | 'pending' {
  const frames = structuredStack(stack.holder);
  if (frames === undefined) return undefined;
  if (typeof frames === 'string') return locationFromStack(frames);
  for (let i = 0; i < frames.length; i++) {
    const name = frames[i].getFileName();
    const line = frames[i].getLineNumber();
    const column = frames[i].getColumnNumber();
    if (!name || name.startsWith('node:') || line === null) continue;
    const file = name.startsWith('file://') ? fileURLToPath(name) : name;
    // node_modules, a hooked SDK, the guard's own build: skipped unmapped. A bundle that holds
    // the guard counts as the guard's by its directory, but its map tells the app's frames apart.
    if (isLibraryFrame(file) && !(GUARD_BUNDLED && isGuardFile(file))) continue;
    const mapped = column === null ? undefined : mapPosition(file, line, column, wait);
    if (mapped === 'pending') return 'pending';
    const display = mapped ? callerFile(mapped.file) : callerFile(file);
    if (display === undefined) continue;
    learnDepth(stack, i + 1);
    return { file: display, line: mapped ? mapped.line : line };
  }
  // Every frame a library's, and the stack cut at the limit: take all frames from now on.
  if (frames.length >= stack.limit) mappedFrames.delete(stack.below);
  return undefined;
}

function learnDepth(stack: DeferredStack, depth: number): void {
  const known = mappedFrames.get(stack.below) ?? 0;
  if (depth + 4 > known && (known > 0 || mappedFrames.size < MAX_STARTING_POINTS)) {
    mappedFrames.set(stack.below, Math.min(MAX_FRAMES, depth + 4));
  }
}

/** The stack's structured frames, read once (V8 keeps what the first read made); a string where the app's Error would not let them be read. */
function structuredStack(holder: { stack?: unknown }): NodeJS.CallSite[] | string | undefined {
  const prepare = Error.prepareStackTrace;
  const swapped = Reflect.set(Error, 'prepareStackTrace', structuredFrames);
  let captured: unknown;
  try {
    captured = holder.stack;
  } finally {
    if (swapped) Reflect.set(Error, 'prepareStackTrace', prepare);
  }
  if (typeof captured === 'string') return captured;
  return Array.isArray(captured) ? (captured as NodeJS.CallSite[]) : undefined;
}

/** Node's own --enable-source-maps, with no stack formatter of someone else's installed. */
function nodeSourceMaps(): boolean {
  if ((process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled !== true) return false;
  const prepare = Error.prepareStackTrace;
  return (
    prepare === undefined || (typeof prepare === 'function' && prepare.name === 'ErrorPrepareStackTrace')
  );
}
