import { fileURLToPath } from 'node:url';
import { isCallerFrameFile, isGuardFile } from './call-location';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type AnyFunction = Function;

/**
 * Frames read at most. A call's transport is found within a few dozen (fetch alone puts about 25
 * of Node's frames on top); a stack that runs out first is taken as transport, as before this rule.
 */
const MAX_FRAMES = 64;

/**
 * The SDK functions that call a client's own `fetch` option: user code they call is the covered
 * call's transport (a logging or proxy fetch), not an independent call. Stainless SDKs
 * (openai, @anthropic-ai/sdk, groq-sdk) and the AI SDK's provider utilities.
 */
const FETCH_HOOK_CALLERS = new Set(['fetchWithTimeout', 'postToApi', 'getFromApi']);

/**
 * User code the AI SDK calls as the model itself (a custom LanguageModel's methods, a middleware's
 * wrappers, by the names its specification gives them): what it calls is the ai call's transport.
 */
const MODEL_HOOKS = new Set(['doGenerate', 'doStream', 'doEmbed', 'wrapGenerate', 'wrapStream']);

const structuredFrames = (_error: Error, frames: NodeJS.CallSite[]) => frames;

function capture(below: AnyFunction): NodeJS.CallSite[] {
  const limit = Error.stackTraceLimit;
  const prepare = Error.prepareStackTrace;
  const holder: { stack?: NodeJS.CallSite[] } = {};
  try {
    Error.stackTraceLimit = MAX_FRAMES;
    Error.prepareStackTrace = structuredFrames;
    Error.captureStackTrace(holder, below);
    return holder.stack ?? []; // made by structuredFrames: read while it is in place
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
}

function isGuardFrame(name: string): boolean {
  return isGuardFile(name.startsWith('file://') ? fileURLToPath(name) : name);
}

/**
 * Inside a covered scope (the work of an SDK call the guard already handled), whether what is
 * starting now (a patched call, or a request the network backstop sees) is that call's own
 * transport. It is, unless user code is on its synchronous stack between it and the covered
 * call: a tool's `execute`, a custom `fetch`, a callback. Async frames (who awaits whom) do not
 * count, since the user's own outer call always awaits the covered one. The covered call's own
 * wrapper is where the search stops: the user frame below it is the outer call's caller.
 *
 * `request`: a network request, for which user code the SDK called as its `fetch` option is the
 * transport too (see FETCH_HOOK_CALLERS).
 */
export function isCoveredTransport(below: AnyFunction, request = false): boolean {
  try {
    return decide(request ? requestFrames(below) : capture(below), request);
  } catch {
    // A stack the app's hooks made unreadable: the scope's old rule, everything in it is transport.
    return true;
  }
}

/**
 * A request's frames from the caller of Node's own `fetch` down, when that fetch is the global
 * one and on the stack: the ~25 frames undici puts above it are Node's and never decide, and each
 * frame walked costs a few µs after an I/O wake-up (bench/stack-walk.ts), so V8 is asked to skip
 * them. A replacement of the global fetch (an app's wrapper, nock) is code that must be read like
 * any other frame: a wrapper that awaits before calling Node's fetch is itself the user frame on
 * the request's stack. Otherwise, or without fetch on the stack (node:http, a fetch the SDK was
 * given: V8 then returns no frames), the whole stack below `below` is read.
 */
function requestFrames(below: AnyFunction): NodeJS.CallSite[] {
  const fetch = nodesGlobalFetch();
  if (fetch !== undefined) {
    const frames = capture(fetch);
    if (frames.length > 0) return frames;
  }
  return capture(below);
}

let seenFetch: unknown;
let seenIsNodes = false;

/** The global fetch when it is Node's own, told once per function seen there. */
function nodesGlobalFetch(): AnyFunction | undefined {
  const fetch: unknown = globalThis.fetch;
  if (typeof fetch !== 'function') return undefined;
  if (fetch !== seenFetch) {
    seenFetch = fetch;
    seenIsNodes = isNodesFetch(fetch);
  }
  return seenIsNodes ? fetch : undefined;
}

/**
 * Node's fetch (20 to 26) is the bootstrap's lazy loader of undici; its source says so. Anything
 * else, or a Node whose source differs, takes the whole-stack read: slower, never wrong.
 */
function isNodesFetch(fn: AnyFunction): boolean {
  try {
    const source = Function.prototype.toString.call(fn);
    return source.startsWith('function fetch(input, init = undefined) {') && source.includes('fetchImpl');
  } catch {
    return false;
  }
}

function decide(frames: NodeJS.CallSite[], request: boolean): boolean {
  let passedOwnFrames = false;
  for (let i = 0; i < frames.length; i++) {
    const frame = frames[i];
    if (frame.isAsync()) return true;
    const name = frame.getFileName();
    if (!name || name.startsWith('node:')) continue;
    if (isGuardFrame(name)) {
      // The guard's frames on top are this check's own (the inner wrapper, the subscriber);
      // met again further down, they are the covered call's wrapper.
      if (passedOwnFrames) return true;
      continue;
    }
    passedOwnFrames = true;
    if (isCallerFrameFile(name)) return isTransportHook(frames, i, request);
  }
  return true;
}

/**
 * Whether the user code starting at frames[start] is one the SDK calls as its transport: a model
 * or middleware method (its frames, sync or resumed after an await), or, for a request, a
 * function the SDK called as its `fetch` option (the first library frame under the user code).
 */
function isTransportHook(frames: NodeJS.CallSite[], start: number, request: boolean): boolean {
  for (let i = start; i < frames.length; i++) {
    const name = frames[i].getFileName();
    if (!name || name.startsWith('node:')) continue;
    const functionName = frames[i].getFunctionName() ?? '';
    if (isCallerFrameFile(name)) {
      if (MODEL_HOOKS.has(functionName)) return true;
      continue;
    }
    return request && FETCH_HOOK_CALLERS.has(functionName);
  }
  return false;
}
