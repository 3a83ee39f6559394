import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ScanReport } from '../scan/format';
import type { ReportSummary } from './report-summary';

/** What a CI format (SARIF, GitHub annotations, the baseline) says about one place in the code. */
export interface Finding {
  /** A rule of RULES: `unattested` / `unknown` (scan), `unattested-call` (report). */
  ruleId: RuleId;
  /** Relative to the repository root, `/`-separated; absolute when outside it; null when unknown. */
  file: string | null;
  line: number | null;
  column: number | null;
  callSite: string;
  message: string;
  /** Stable across unrelated edits: see fingerprint(). The SARIF and the baseline use it alike. */
  fingerprint: string;
}

export type RuleId = 'unattested' | 'unknown' | 'unattested-call';

export interface Rule {
  id: RuleId;
  name: string;
  level: 'error' | 'warning';
  short: string;
  full: string;
}

export const RULES: Record<RuleId, Rule> = {
  unattested: {
    id: 'unattested',
    name: 'UnattestedCallSite',
    level: 'error',
    short: 'An AI SDK call that can run outside attest()',
    full:
      'The static scan found a call to an AI SDK method the guard patches whose function is reachable ' +
      'from a top level or an exported API without passing through attest(), withAttested(), ' +
      'mima.attest() or mima.wrap().',
  },
  unknown: {
    id: 'unknown',
    name: 'UndecidedCallSite',
    level: 'warning',
    short: 'An AI SDK call the scan cannot follow to an attestation',
    full:
      'The call is reached only through values the static scan cannot follow (callbacks stored and ' +
      'called later, functions never called directly): it may or may not run attested.',
  },
  'unattested-call': {
    id: 'unattested-call',
    name: 'UnattestedCall',
    level: 'error',
    short: 'AI SDK calls recorded at run time outside attest()',
    full:
      'The guard recorded AI SDK calls made outside attest() from this code location (records in ' +
      'the guard and daemon logs, grouped per call site and location).',
  },
};

/** Which findings a gate (and so a baseline) counts: the scan's unknowns never fail it. */
export function isGateFinding(finding: Finding): boolean {
  return finding.ruleId !== 'unknown';
}

/** The repository root: the nearest directory up from `from` with a .git entry, else `from`. */
export function repositoryRoot(from: string): string {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, '.git'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(from);
  }
}

/** Findings of `mima-guard scan`: its unattested and unknown sites (attested ones are fine). */
export function scanFindings(report: ScanReport, cwd: string, root: string): Finding[] {
  const located = report.sites
    .filter((site) => site.verdict !== 'attested')
    .map((site) => ({
      ruleId: site.verdict as RuleId,
      absolute: path.resolve(cwd, site.file),
      line: site.line,
      column: site.column,
      callSite: site.call_site,
      message:
        site.verdict === 'unattested'
          ? `${site.expression} (${site.call_site}) can run outside attest(): ${site.reason}`
          : `${site.expression} (${site.call_site}) may run outside attest(): ${site.reason}`,
    }));
  return withFingerprints(located, root);
}

/**
 * Findings of `mima-guard report`: one per call site and code location. Records carry a line but
 * no column. A relative code_file is taken as relative to the working directory (where the app
 * and the report both ran, in CI).
 */
export function reportFindings(summary: ReportSummary, cwd: string, root: string): Finding[] {
  const located = summary.groups.map((group) => {
    const at = parseLocation(group.code_location);
    const calls = group.count === 1 ? 'call' : 'calls';
    const blocked = group.blocked > 0 ? `, ${group.blocked} blocked` : '';
    return {
      ruleId: 'unattested-call' as const,
      absolute: at ? path.resolve(cwd, at.file) : null,
      line: at?.line ?? null,
      column: null,
      callSite: group.call_site,
      message:
        `${group.count} unattested ${calls} to ${group.call_site} from here${blocked} ` +
        `(first ${group.first_seen}, last ${group.last_seen})`,
    };
  });
  return withFingerprints(located, root);
}

/** `file:line` as the report summary builds it; "(unknown)" or a bad line is no location. */
function parseLocation(location: string): { file: string; line: number | null } | null {
  if (location === '(unknown)') return null;
  const colon = location.lastIndexOf(':');
  if (colon <= 0) return { file: location, line: null };
  const line = Number(location.slice(colon + 1));
  return { file: location.slice(0, colon), line: Number.isSafeInteger(line) && line > 0 ? line : null };
}

type Located = Omit<Finding, 'file' | 'fingerprint'> & { absolute: string | null };

/**
 * The fingerprint hashes the call site, the file (root-relative) and the line's text with its
 * whitespace collapsed, never its number: code added above a call leaves it alone. Equal lines
 * (the same call twice in a file) are told apart by their order, `hash:1`, `hash:2`. Where the
 * line cannot be read (a record from a file not here), its number stands in for its text.
 */
function withFingerprints(located: Located[], root: string): Finding[] {
  const lines = new SourceLines();
  const findings = located.map((entry) => ({
    ruleId: entry.ruleId,
    file: entry.absolute === null ? null : rootRelative(entry.absolute, root),
    line: entry.line,
    column: entry.column,
    callSite: entry.callSite,
    message: entry.message,
    anchor:
      entry.absolute !== null && entry.line !== null ? lines.text(entry.absolute, entry.line, root) : null,
  }));
  findings.sort(
    (a, b) =>
      compare(a.file ?? '', b.file ?? '') ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0) ||
      compare(a.callSite, b.callSite),
  );
  const seen = new Map<string, number>();
  return findings.map(({ anchor, ...finding }) => {
    const where = anchor !== null ? `text:${anchor}` : `line:${finding.line ?? '?'}`;
    const hash = createHash('sha256')
      .update(['mima-guard/v1', finding.callSite, finding.file ?? '', where].join('\0'))
      .digest('hex')
      .slice(0, 32);
    const n = (seen.get(hash) ?? 0) + 1;
    seen.set(hash, n);
    return { ...finding, fingerprint: `${hash}:${n}` };
  });
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function rootRelative(absolute: string, root: string): string {
  const relative = path.relative(root, absolute);
  const outside = relative === '' || relative.startsWith('..') || path.isAbsolute(relative);
  return (outside ? absolute : relative).split(path.sep).join('/');
}

/** Larger files are not source code anyone wrote by hand; their lines fall back to numbers. */
const MAX_SOURCE_BYTES = 8 << 20;

/**
 * Each file read once; a line's text trimmed, inner whitespace collapsed (formatting-proof). A
 * report's paths come from logs: only regular files under the root are read (never a FIFO that
 * blocks, a device that never ends, or a file elsewhere on the machine).
 */
class SourceLines {
  private readonly files = new Map<string, string[] | null>();

  text(file: string, line: number, root: string): string | null {
    let lines = this.files.get(file);
    if (lines === undefined) {
      lines = readSource(file, root);
      this.files.set(file, lines);
    }
    const text = lines?.[line - 1];
    return text === undefined ? null : text.trim().replace(/\s+/g, ' ');
  }
}

function readSource(file: string, root: string): string[] | null {
  if (path.isAbsolute(rootRelative(file, root))) return null;
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile() || stat.size > MAX_SOURCE_BYTES) return null;
    return fs.readFileSync(file, 'utf8').split(/\r?\n/);
  } catch {
    return null;
  }
}
