import { SDK_DEFINITIONS } from '../../src/app/sdks';

export const TABLE_START = '<!-- sdk-table:start -->';
export const TABLE_END = '<!-- sdk-table:end -->';

/** The README's supported-SDK table rows, made from the SDK definitions so that they cannot drift. */
export function sdkTableRows(): string[][] {
  return [
    ['package', 'versions', 'call sites'],
    ...SDK_DEFINITIONS.map((definition) => [
      `\`${definition.module}\``,
      `\`${definition.supportedVersions}\``,
      definition.callSites.map((site) => `\`${site}\``).join(', '),
    ]),
  ];
}

function markdownTable(rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(rows[0]), line(rows[0].map(() => '---')), ...rows.slice(1).map(line)].join('\n');
}

function tableBounds(readme: string): [number, number] {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${TABLE_START} … ${TABLE_END} markers`);
  return [start + TABLE_START.length, end];
}

/** The README text with a freshly generated table between the markers. */
export function withSdkTable(readme: string): string {
  const [start, end] = tableBounds(readme);
  return `${readme.slice(0, start)}\n${markdownTable(sdkTableRows())}\n${readme.slice(end)}`;
}

/** The rows of the README's table as written (cell text trimmed, so Prettier's padding does not matter). */
export function readmeTableRows(readme: string): string[][] {
  const [start, end] = tableBounds(readme);
  return readme
    .slice(start, end)
    .split('\n')
    .filter((line) => line.startsWith('|') && !/^\|[\s|:-]+\|$/.test(line))
    .map((line) =>
      line
        .slice(1, -1)
        .split(' | ')
        .map((cell) => cell.trim()),
    );
}
