/**
 * A string from the code or a log (a file name, a call site, a model) as one Markdown table cell.
 * It is shown as a code span, so nothing in it is read as Markdown or by GitHub (no emphasis, link,
 * HTML, math, @mention or #reference); its controls are shown as \uXXXX by visible(), so no
 * newline ends the row; its pipes are escaped (`\|`), which GFM tables undo inside code spans, so
 * none splits the cell; and the span's fence is longer than any run of backticks in it.
 */
import { visible } from './terminal-text';

export function markdownCell(text: string): string {
  if (text === '') return '';
  const shown = visible(text).replace(/\|/g, '\\|');
  const longestRun = Math.max(0, ...(shown.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  // A space inside each fence keeps a backtick at either end from joining it; CommonMark drops
  // one such space at each end, and a leading or trailing space of the text is padded the same way.
  const pad = /^[` ]|[` ]$/.test(shown) && shown.trim() !== '' ? ' ' : '';
  return `${fence}${pad}${shown}${pad}${fence}`;
}

/** A Markdown table: the header row, the delimiter row, then one row per entry. */
export function markdownTable(header: string[], rows: string[][]): string[] {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)];
}
