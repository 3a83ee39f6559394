import * as fs from 'node:fs';
import { UsageError } from './args';
import { isGateFinding, type Finding, type RuleId } from './findings';

/** One finding accepted when the baseline was written. Paths and names only, never content. */
export interface BaselineEntry {
  fingerprint: string;
  rule: RuleId;
  call_site: string;
  file: string | null;
  line: number | null;
}

interface BaselineFile {
  tool: 'mima-guard';
  version: 1;
  command: 'scan' | 'report';
  entries: BaselineEntry[];
}

/** Today's findings split by a baseline: the gate fails only on `fresh`. */
export interface BaselineComparison {
  file: string;
  known: Finding[];
  fresh: Finding[];
  /** Entries of the baseline found no more: fixed (or moved to a line with other text). */
  fixed: BaselineEntry[];
}

/** Records the gate's findings (the scan's unknowns never fail it, so they are not kept). */
export function writeBaseline(file: string, command: 'scan' | 'report', findings: Finding[]): number {
  const entries: BaselineEntry[] = findings.filter(isGateFinding).map((finding) => ({
    fingerprint: finding.fingerprint,
    rule: finding.ruleId,
    call_site: finding.callSite,
    file: finding.file,
    line: finding.line,
  }));
  const content: BaselineFile = { tool: 'mima-guard', version: 1, command, entries };
  fs.writeFileSync(file, JSON.stringify(content, null, 2) + '\n');
  return entries.length;
}

/**
 * A baseline that is missing or not one of ours is a mistake (exit 2), never "nothing known":
 * a gate reading a mistyped path would otherwise fail on everything, or one from the other
 * command would match nothing.
 */
export function readBaseline(file: string, command: 'scan' | 'report'): BaselineEntry[] {
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      `mima-guard ${command}: cannot read the baseline ${file}: ${code ?? 'not JSON'}` +
        (code === 'ENOENT' ? `; write one with --baseline-write ${file}` : ''),
    );
  }
  const baseline = value as Partial<BaselineFile> | null;
  if (
    baseline === null ||
    typeof baseline !== 'object' ||
    baseline.tool !== 'mima-guard' ||
    baseline.version !== 1 ||
    !Array.isArray(baseline.entries) ||
    !baseline.entries.every((entry) => typeof entry?.fingerprint === 'string')
  ) {
    throw new UsageError(`mima-guard ${command}: ${file} is not a mima-guard baseline (version 1)`);
  }
  if (baseline.command !== command) {
    throw new UsageError(
      `mima-guard ${command}: ${file} is a baseline of "mima-guard ${String(baseline.command)}", not of ${command}`,
    );
  }
  // Only what was checked reaches the output: a hand-edited entry cannot print a non-string.
  return baseline.entries.map((entry) => ({
    fingerprint: entry.fingerprint,
    rule: entry.rule,
    call_site: typeof entry.call_site === 'string' ? entry.call_site : '(unnamed)',
    file: typeof entry.file === 'string' ? entry.file : null,
    line: Number.isSafeInteger(entry.line) ? entry.line : null,
  }));
}

export function compareWithBaseline(
  file: string,
  findings: Finding[],
  entries: BaselineEntry[],
): BaselineComparison {
  const accepted = new Set(entries.map((entry) => entry.fingerprint));
  const found = new Set(findings.filter(isGateFinding).map((finding) => finding.fingerprint));
  const gate = findings.filter(isGateFinding);
  return {
    file,
    known: gate.filter((finding) => accepted.has(finding.fingerprint)),
    fresh: gate.filter((finding) => !accepted.has(finding.fingerprint)),
    fixed: entries.filter((entry) => !found.has(entry.fingerprint)),
  };
}
