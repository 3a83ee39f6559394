import * as path from 'node:path';
import { UsageError } from './args';
import { compareWithBaseline, readBaseline, writeBaseline, type BaselineComparison } from './baseline';
import { printError } from './command';
import type { Finding } from './findings';
import { githubAnnotations, workflowCommand } from './github-format';
import { sarifLog } from './sarif';
import { terminalJson, visible } from './terminal-text';

export type OutputFormat = 'text' | 'json' | 'sarif' | 'github';
const FORMATS: readonly OutputFormat[] = ['text', 'json', 'sarif', 'github'];
type Command = 'scan' | 'report';

/** The options scan and report share, for util.parseArgs. */
export const CI_OPTIONS = {
  format: { type: 'string' },
  baseline: { type: 'string' },
  'baseline-write': { type: 'string' },
} as const;

export interface CiValues {
  json?: boolean;
  format?: string;
  baseline?: string;
  'baseline-write'?: string;
}

/** `--format json|text|sarif|github`; `--json` is kept as `--format json`. */
export function outputFormat(command: Command, values: CiValues): OutputFormat {
  const format = values.format ?? (values.json ? 'json' : 'text');
  if (!FORMATS.includes(format as OutputFormat)) {
    throw new UsageError(
      `mima-guard ${command}: --format takes ${FORMATS.join(', ')}, not ${JSON.stringify(format)}`,
    );
  }
  if (values.json && format !== 'json') {
    throw new UsageError(`mima-guard ${command}: --json is --format json; choose one format`);
  }
  if (values.baseline !== undefined && values['baseline-write'] !== undefined) {
    throw new UsageError(`mima-guard ${command}: choose one of --baseline and --baseline-write`);
  }
  return format as OutputFormat;
}

/**
 * --baseline-write records today's findings (and compares against them: nothing is new);
 * --baseline reads an earlier one. Null without either.
 */
export function applyBaseline(
  command: Command,
  values: CiValues,
  findings: Finding[],
): BaselineComparison | null {
  const write = values['baseline-write'];
  if (write !== undefined) {
    const count = writeBaseline(path.resolve(write), command, findings);
    printError(`mima-guard ${command}: wrote the baseline ${visible(write)} with ${count} findings`);
    return compareWithBaseline(write, findings, readBaseline(path.resolve(write), command));
  }
  if (values.baseline === undefined) return null;
  return compareWithBaseline(values.baseline, findings, readBaseline(path.resolve(values.baseline), command));
}

export interface Rendered {
  command: Command;
  format: 'sarif' | 'github';
  findings: Finding[];
  root: string;
  comparison: BaselineComparison | null;
  problems: string[];
  /** The human summary line, printed after the annotations (not a workflow command). */
  footer: string;
}

export function renderCiFormat(input: Rendered): string {
  if (input.format === 'sarif') return terminalJson(sarifLog(input));
  const annotations = githubAnnotations(input.findings, input.comparison);
  const problems = input.problems.map((problem) =>
    workflowCommand('error', [['title', `mima-guard ${input.command}`]], problem),
  );
  const tail = input.comparison ? [baselineLine(input.comparison)] : [];
  return [annotations, ...problems, input.footer, ...tail].filter(Boolean).join('\n');
}

/** For the text format: what the baseline changes, then each new finding and each fixed entry. */
export function baselineText(comparison: BaselineComparison): string {
  const lines = [baselineLine(comparison)];
  for (const finding of comparison.fresh) {
    const where = finding.file ? `${finding.file}:${finding.line ?? '?'}` : '(unknown)';
    lines.push(`  new    ${visible(where)}  ${visible(finding.callSite)}`);
  }
  for (const entry of comparison.fixed) {
    const where = entry.file ? `${entry.file}:${entry.line ?? '?'}` : '(unknown)';
    lines.push(`  fixed  ${visible(where)}  ${visible(entry.call_site)}`);
  }
  return lines.join('\n');
}

/** For the JSON format: the same, as one object beside the report's own fields. */
export function baselineJson(comparison: BaselineComparison): object {
  const entry = (finding: Finding) => ({
    fingerprint: finding.fingerprint,
    call_site: finding.callSite,
    file: finding.file,
    line: finding.line,
  });
  return {
    file: comparison.file,
    known: comparison.known.length,
    new: comparison.fresh.map(entry),
    fixed: comparison.fixed,
  };
}

function baselineLine(comparison: BaselineComparison): string {
  return (
    `baseline ${visible(comparison.file)}: ${comparison.fresh.length} new, ` +
    `${comparison.known.length} known, ${comparison.fixed.length} fixed (in it, no longer found)`
  );
}
