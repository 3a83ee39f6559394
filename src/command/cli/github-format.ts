import type { BaselineComparison } from './baseline';
import { RULES, type Finding } from './findings';
import { visible } from './terminal-text';

/**
 * GitHub Actions workflow commands (`::error file=…,line=…::message`), which the runner shows as
 * annotations on the pull request's lines. With a baseline, only findings not in it are
 * annotated, and its entries found no more are notices.
 */
export function githubAnnotations(findings: Finding[], comparison: BaselineComparison | null): string {
  const shown = comparison
    ? findings.filter((f) => f.ruleId === 'unknown' || comparison.fresh.includes(f))
    : findings;
  const lines = shown.map((finding) => {
    const rule = RULES[finding.ruleId];
    const properties: Array<[string, string | number | null]> = [
      ['file', finding.file],
      ['line', finding.line],
      ['col', finding.column],
      ['title', `${rule.short} (${finding.callSite})`],
    ];
    return workflowCommand(rule.level, properties, finding.message);
  });
  for (const entry of comparison?.fixed ?? []) {
    const where = entry.file ? ` at ${entry.file}${entry.line ? `:${entry.line}` : ''}` : '';
    lines.push(
      workflowCommand(
        'notice',
        [['title', 'Baseline entry fixed']],
        `${entry.call_site}${where} is in the baseline ${comparison?.file} but no longer found: ` +
          'remove it by writing the baseline again',
      ),
    );
  }
  return lines.join('\n');
}

/** One workflow command; every value shown as visible() text, then escaped (no line can be forged). */
export function workflowCommand(
  name: string,
  properties: Array<[string, string | number | null]>,
  message: string,
): string {
  const props = properties
    .filter(([, value]) => value !== null)
    .map(([key, value]) => `${key}=${escapeProperty(visible(String(value)))}`)
    .join(',');
  return `::${name}${props ? ' ' + props : ''}::${escapeData(visible(message))}`;
}

/** A workflow command's message: `%`, CR and LF are escaped (GitHub's toolkit rules). */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A property value: also `:` and `,`, which would end the value or the property list. */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
