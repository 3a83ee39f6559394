/**
 * A generated file's source map, decoded into typed arrays: what a record's location needs (the
 * original file and line of a generated line and column), nothing else. Built in a worker thread
 * (source-maps.ts), so the arrays are transferable and the app's event loop never parses the map.
 */
export interface SourceMapIndex {
  /** Each source as Node's stack traces name it: an absolute path for a file, else the URL. */
  sources: string[];
  /** Per generated line (0-based), the index of its first segment; one more entry than lines. */
  lineStarts: Int32Array;
  /** Per segment: generated column, source index (-1: none), original line (0-based). */
  columns: Int32Array;
  sourceIds: Int32Array;
  lines: Int32Array;
}

/** What building found: the index, no map at all, or a map this decoder does not read (index maps). */
export type BuiltIndex = SourceMapIndex | 'none' | 'unsupported';

type Fs = Pick<typeof import('node:fs'), 'readFileSync'>;
type Url = Pick<typeof import('node:url'), 'pathToFileURL' | 'fileURLToPath'>;

/**
 * Reads `generatedFile`'s last `sourceMappingURL` comment and decodes that map, resolving its
 * sources the way Node's --enable-source-maps does ((sourceRoot + source) against the map's URL).
 * Self-contained (it is sent to the worker as source text, so it may use nothing but its
 * arguments and globals). Throws on a file or map it cannot read; the caller falls back.
 */
export function buildSourceMapIndex(generatedFile: string, fs: Fs, url: Url): BuiltIndex {
  const code = fs.readFileSync(generatedFile, 'latin1');
  const at = code.lastIndexOf('sourceMappingURL=');
  if (at < 4) return 'none';
  const lead = code.slice(at - 4, at);
  if (lead !== '//# ' && lead !== '//@ ' && lead !== '/*# ' && lead !== '/*@ ') return 'none';
  let end = at + 17;
  while (end < code.length && code.charCodeAt(end) > 32 && code[end] !== '*') end++;
  const reference = code.slice(at + 17, end);
  const generatedUrl = url.pathToFileURL(generatedFile).href;
  let text: string;
  let base: string;
  if (reference.startsWith('data:')) {
    const comma = reference.indexOf(',');
    if (comma < 0) return 'none';
    const payload = reference.slice(comma + 1);
    text = reference.slice(0, comma).endsWith(';base64')
      ? Buffer.from(payload, 'base64').toString('utf8')
      : decodeURIComponent(payload);
    base = generatedUrl;
  } else {
    const mapUrl = new URL(reference, generatedUrl);
    if (mapUrl.protocol !== 'file:') return 'unsupported';
    text = fs.readFileSync(url.fileURLToPath(mapUrl), 'utf8');
    base = mapUrl.href;
  }
  const map = JSON.parse(text) as {
    sections?: unknown;
    sources?: unknown;
    sourceRoot?: unknown;
    mappings?: unknown;
  };
  if (map.sections !== undefined || !Array.isArray(map.sources) || typeof map.mappings !== 'string') {
    return 'unsupported';
  }
  const root = typeof map.sourceRoot === 'string' ? map.sourceRoot : '';
  const sources = map.sources.map((source: unknown) => {
    if (typeof source !== 'string') return '';
    const href = new URL(root + source, base).href;
    return href.startsWith('file:') ? url.fileURLToPath(href) : href;
  });

  const mappings = map.mappings;
  const DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const digit = new Int8Array(128).fill(-1);
  for (let i = 0; i < 64; i++) digit[DIGITS.charCodeAt(i)] = i;
  let segments = 0;
  let lineCount = 1;
  for (let i = 0; i < mappings.length; i++) {
    const c = mappings.charCodeAt(i);
    if (c === 59) lineCount++;
    else if (c === 44) segments++;
  }
  segments += lineCount; // at most one more segment per line than its commas
  const lineStarts = new Int32Array(lineCount + 1);
  const columns = new Int32Array(segments);
  const sourceIds = new Int32Array(segments);
  const lines = new Int32Array(segments);
  let line = 0;
  let count = 0;
  let field = 0;
  let value = 0;
  let shift = 0;
  let column = 0;
  let source = 0;
  let originalLine = 0;
  // One segment is 1, 4 or 5 fields; the last four are deltas across the whole map, the column
  // a delta within its line.
  const endSegment = () => {
    if (field === 0) return;
    if (field === 1) sourceIds[count] = -1;
    count++;
    field = 0;
  };
  for (let i = 0; i < mappings.length; i++) {
    const c = mappings.charCodeAt(i);
    if (c === 59 || c === 44) {
      endSegment();
      if (c === 59) {
        lineStarts[++line] = count;
        column = 0;
      }
      continue;
    }
    const d = c < 128 ? digit[c] : -1;
    if (d < 0) throw new Error('malformed source map mappings');
    value += (d & 31) * 2 ** shift;
    if (d & 32) {
      shift += 5;
      continue;
    }
    const delta = value % 2 === 1 ? -(value - 1) / 2 : value / 2;
    value = 0;
    shift = 0;
    if (field === 0) {
      column += delta;
      columns[count] = column;
    } else if (field === 1) {
      source += delta;
      sourceIds[count] = source;
    } else if (field === 2) {
      originalLine += delta;
      lines[count] = originalLine;
    }
    field++;
  }
  endSegment();
  lineStarts[++line] = count;
  return { sources, lineStarts, columns, sourceIds, lines };
}

/**
 * The original file and 1-based line of a 1-based generated line and column, as Node's
 * SourceMap.findEntry(line - 1, column - 1) answers it: the last segment at or before the
 * position (which may be on an earlier line); undefined where that segment names no source.
 */
export function lookUp(
  index: SourceMapIndex,
  line: number,
  column: number,
): { file: string; line: number } | undefined {
  const { lineStarts, columns } = index;
  const lineCount = lineStarts.length - 1;
  let l = Math.min(line - 1, lineCount - 1);
  if (l < 0) return undefined;
  let found = -1;
  if (l === line - 1) {
    // The last segment of the line whose column is at most the position's.
    let low = lineStarts[l];
    let high = lineStarts[l + 1] - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (columns[middle] <= column - 1) {
        found = middle;
        low = middle + 1;
      } else high = middle - 1;
    }
  } else l++;
  // None on the line: the last segment of the nearest earlier line that has one.
  while (found < 0 && --l >= 0) {
    if (lineStarts[l + 1] > lineStarts[l]) found = lineStarts[l + 1] - 1;
  }
  if (found < 0) return undefined;
  const source = index.sourceIds[found];
  const file = source >= 0 ? index.sources[source] : undefined;
  return file ? { file, line: index.lines[found] + 1 } : undefined;
}
