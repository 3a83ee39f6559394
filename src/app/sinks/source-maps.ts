import * as fs from 'node:fs';
import { findSourceMap, type SourceMap } from 'node:module';
import * as url from 'node:url';
import { Worker } from 'node:worker_threads';
import { guardLog } from '../safe-log';
import { buildSourceMapIndex, lookUp, type BuiltIndex, type SourceMapIndex } from './source-map-index';

/**
 * Source maps for record locations under Node's --enable-source-maps, kept off the app's event
 * loop. Node parses a map when it first formats a stack through it: 300 ms for a 2.8 MB bundle's
 * 7.7 MB map, on the call that asked. Here a generated file's map is decoded in a worker thread
 * (one per file, unref'd, gone when done) and handed back as transferable typed arrays; a lookup is
 * then a binary search. Until it is back, a location that needs it waits (pending-records.ts);
 * when the answer cannot wait (process exit, disableGuard, block mode's error message) the same
 * decoder runs on this thread, once.
 */
type State = SourceMapIndex | 'none' | 'pending' | 'node';

const states = new Map<string, State>();
/** Distinct generated files looked at: a process runs a handful (bundles, compiled files). */
const MAX_FILES = 1000;
let onReady: (() => void) | undefined;

/** Called when a map a location waited for is ready (pending-records.ts resumes). */
export function whenMapReady(callback: () => void): void {
  onReady = callback;
}

/** The original position of a generated one: undefined for no mapping, 'pending' while the map is decoded. */
export function mapPosition(
  file: string,
  line: number,
  column: number,
  wait: boolean,
): { file: string; line: number } | undefined | 'pending' {
  let state = states.get(file);
  if (state === undefined) state = start(file);
  if (state === 'pending') {
    if (wait) return 'pending';
    state = buildHere(file);
  }
  if (state === 'none' || state === 'pending') return undefined;
  if (state === 'node') return nodeLookUp(file, line, column);
  return lookUp(state, line, column);
}

/** Starts decoding a file's map ahead of the first location that needs it (a bundle holding the guard). */
export function prepareMap(file: string): void {
  if (!states.has(file)) start(file);
}

/** A file whose last lines name no map is not sent to a worker (most of an app's files). */
function start(file: string): State {
  if (states.size >= MAX_FILES) states.clear();
  // Code run from memory (Jest's and ts-node's transforms, a loader hook) differs from the file on
  // disk: Node has its map from the source it compiled, and only Node can answer for it.
  const state: State = mayHaveMap(file) ? 'pending' : nodeMapOf(file) ? 'node' : 'none';
  states.set(file, state);
  if (state === 'pending') decodeInWorker(file);
  return state;
}

/** The comment is at the end of the file; an inline map makes the last line too long to see whole. */
function mayHaveMap(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) return false;
    const size = Math.min(stat.size, 1024);
    const tail = Buffer.alloc(size);
    fs.readSync(fd, tail, 0, size, stat.size - size);
    const text = tail.toString('latin1').trimEnd();
    const lastLine = text.slice(text.lastIndexOf('\n') + 1);
    return text.lastIndexOf('\n') < 0 || lastLine.includes('sourceMappingURL=');
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function settle(file: string, built: BuiltIndex): State {
  const state: State = built === 'unsupported' ? 'node' : built;
  if (states.get(file) === 'pending') states.set(file, state);
  return states.get(file) as State;
}

/** The decoder on this thread: what a worker would have done, when the answer cannot wait. */
function buildHere(file: string): State {
  try {
    return settle(file, buildSourceMapIndex(file, fs, url));
  } catch (error) {
    guardLog.debug(`source map of ${file} not readable by the guard; Node's is used`, error);
    return settle(file, 'unsupported');
  }
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const build = ${buildSourceMapIndex.toString()};
const built = build(workerData, require('node:fs'), require('node:url'));
const transfer = typeof built === 'object'
  ? [built.lineStarts.buffer, built.columns.buffer, built.sourceIds.buffer, built.lines.buffer] : [];
parentPort.postMessage(built, transfer);
`;

function decodeInWorker(file: string): void {
  try {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: file,
      stdout: true,
      stderr: true,
      env: {},
      execArgv: [],
    });
    let answered = false;
    worker.on('message', (built: BuiltIndex) => {
      answered = true;
      settle(file, built);
      onReady?.();
    });
    // A worker that failed (a map it cannot read, a thread it could not start) leaves the file to
    // Node's own source map, read when the location is needed.
    worker.on('error', () => undefined);
    worker.on('exit', () => {
      if (answered) return;
      settle(file, 'unsupported');
      onReady?.();
    });
    worker.unref();
  } catch (error) {
    guardLog.debug('no worker thread for source maps; decoding on the main thread', error);
    buildHere(file);
  }
}

function nodeMapOf(file: string): SourceMap | undefined {
  try {
    return findSourceMap(file);
  } catch {
    return undefined;
  }
}

/** Node's own map: for code run from memory, and what this decoder does not read (an index map, http:). */
function nodeLookUp(file: string, line: number, column: number): { file: string; line: number } | undefined {
  try {
    const entry = findSourceMap(file)?.findEntry(line - 1, column - 1) as
      { originalSource?: string; originalLine?: number } | undefined;
    if (!entry?.originalSource || entry.originalLine === undefined) return undefined;
    const source = entry.originalSource;
    return {
      file: source.startsWith('file:') ? url.fileURLToPath(source) : source,
      line: entry.originalLine + 1,
    };
  } catch {
    return undefined;
  }
}
