/**
 * Text from a log is the log writer's, not ours: a call site or file name may carry escape
 * sequences (retitle the window, clear the screen), newlines that forge report rows, or bidi
 * overrides that display text in another order than it reads. Every log-supplied string the report
 * prints goes through visible(), which shows each such character as a \uXXXX escape instead.
 */

/** C0 (tab and newline included), DEL, C1, and the Unicode controls that break or reorder lines. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** The same without C0, which JSON.stringify already escapes inside strings (its indent is raw \n). */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const escape = (char: string) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;

export function visible(text: string): string {
  return text.replace(UNSAFE, escape);
}

/** JSON text safe for a terminal: the same value once parsed (only inside strings can these occur). */
export function terminalJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(UNSAFE_IN_JSON, escape);
}
