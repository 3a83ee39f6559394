import { visible } from './terminal-text';

/**
 * Escapes text for HTML element content and double-quoted attribute values. Control characters
 * and bidi overrides are shown as escapes too: they would reorder a row on the page, and reach the
 * terminal of whoever cats the file.
 */
export function escapeHtml(value: string | number): string {
  return visible(String(value))
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A table: header cells, then rows of cells already escaped (or built from escaped parts). */
export function htmlTable(id: string, headers: string[], rows: string[][], numeric: number[] = []): string {
  const cell = (tag: string, i: number, text: string) =>
    `<${tag}${numeric.includes(i) ? ' class="num"' : ''}>${text}</${tag}>`;
  return [
    `<table id="${escapeHtml(id)}">`,
    `<thead><tr>${headers.map((h, i) => cell('th', i, escapeHtml(h))).join('')}</tr></thead>`,
    '<tbody>',
    ...rows.map((row) => `<tr>${row.map((text, i) => cell('td', i, text)).join('')}</tr>`),
    '</tbody></table>',
  ].join('\n');
}
