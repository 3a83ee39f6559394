/**
 * String operations the SDK definitions name a call with, written without regular expressions:
 * they run on the call path, and V8 compiles a regular expression on its first run (and
 * `split(/…/)` builds a new one on every run), which an unattested call near the stack limit
 * turned into a fatal "RegExpCompiler Allocation failed" abort.
 */

/** `//v1/chat` → `v1/chat`. */
export function withoutLeadingSlashes(text: string): string {
  let start = 0;
  while (start < text.length && text.charCodeAt(start) === 47) start++;
  return text.slice(start);
}

/** `text` without `prefix` where it starts with it. */
export function withoutPrefix(text: string, prefix: string | undefined): string {
  return prefix && text.startsWith(prefix) ? text.slice(prefix.length) : text;
}

/** The text before the first `/` or `?`. */
export function firstPathSegment(text: string): string {
  let end = 0;
  while (end < text.length && text[end] !== '/' && text[end] !== '?') end++;
  return text.slice(0, end);
}

/** `v1`, `v2`: a `v` and digits. */
export function isVersionSegment(segment: string): boolean {
  if (segment.length < 2 || segment[0] !== 'v') return false;
  for (let i = 1; i < segment.length; i++) {
    const code = segment.charCodeAt(i);
    if (code < 48 || code > 57) return false;
  }
  return true;
}

/** `fine_tuning` → `fineTuning` (separator `_`), `embed-jobs` → `embedJobs` (separator `-`). */
export function camelCaseAt(text: string, separator: string): string {
  let result = '';
  for (let i = 0; i < text.length; i++) {
    const next = text[i + 1];
    if (text[i] === separator && next !== undefined && isWordChar(next)) {
      result += next.toUpperCase();
      i++;
    } else {
      result += text[i];
    }
  }
  return result;
}

/** `invokeModel` → `invoke_model`. */
export function snakeCase(text: string): string {
  let result = '';
  for (const char of text) {
    const code = char.charCodeAt(0);
    result += code >= 65 && code <= 90 ? `_${char.toLowerCase()}` : char;
  }
  return result;
}

function isWordChar(char: string): boolean {
  const code = char.charCodeAt(0);
  return (code | 0x20) >= 97 && (code | 0x20) <= 122 ? true : (code >= 48 && code <= 57) || code === 95;
}
