import { pathToFileURL } from 'node:url';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../../app/version';
import type { BaselineComparison } from './baseline';
import { RULES, type Finding, type RuleId } from './findings';

const INFORMATION_URI = `https://www.npmjs.com/package/${PACKAGE_NAME}`;
const FINGERPRINT_KEY = 'mimaGuardFingerprint/v1';
const RULES_OF: Record<'scan' | 'report', RuleId[]> = {
  scan: ['unattested', 'unknown'],
  report: ['unattested-call'],
};

export interface SarifInput {
  command: 'scan' | 'report';
  findings: Finding[];
  /** The repository root, `%SRCROOT%`: result URIs are relative to it. */
  root: string;
  comparison: BaselineComparison | null;
  /** What kept the run from seeing everything (dropped records, missing logs): error notifications. */
  problems: string[];
}

/**
 * A SARIF 2.1.0 log (one run), written by hand: the format needs a few objects, and the guard
 * takes no runtime dependency for them. Validated against the 2.1.0 schema in the tests.
 */
export function sarifLog(input: SarifInput): object {
  const ruleIds = RULES_OF[input.command];
  const rules = ruleIds.map((id) => {
    const rule = RULES[id];
    return {
      id: rule.id,
      name: rule.name,
      shortDescription: { text: rule.short },
      fullDescription: { text: rule.full },
      defaultConfiguration: { level: rule.level },
      helpUri: INFORMATION_URI,
    };
  });
  const notifications = input.problems.map((text) => ({ level: 'error', message: { text } }));
  if (input.comparison && input.comparison.fixed.length > 0) {
    const { fixed, file } = input.comparison;
    notifications.push({
      level: 'note',
      message: { text: `${fixed.length} entries of the baseline ${file} are no longer found (fixed)` },
    });
  }
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'mima-guard',
            fullName: `${PACKAGE_NAME} ${input.command}`,
            version: PACKAGE_VERSION,
            semanticVersion: PACKAGE_VERSION,
            informationUri: INFORMATION_URI,
            rules,
          },
        },
        originalUriBaseIds: { '%SRCROOT%': { uri: directoryUri(input.root) } },
        columnKind: 'utf16CodeUnits',
        invocations: [{ executionSuccessful: true, toolExecutionNotifications: notifications }],
        results: input.findings.map((finding) => result(finding, ruleIds, input.comparison)),
      },
    ],
  };
}

function result(finding: Finding, ruleIds: RuleId[], comparison: BaselineComparison | null): object {
  const region =
    finding.line === null
      ? undefined
      : { startLine: finding.line, ...(finding.column === null ? {} : { startColumn: finding.column }) };
  const state =
    !comparison || finding.ruleId === 'unknown'
      ? undefined
      : comparison.fresh.includes(finding)
        ? 'new'
        : 'unchanged';
  return {
    ruleId: finding.ruleId,
    ruleIndex: ruleIds.indexOf(finding.ruleId),
    level: RULES[finding.ruleId].level,
    message: { text: finding.message },
    locations:
      finding.file === null
        ? []
        : [{ physicalLocation: { artifactLocation: artifact(finding.file), region } }],
    partialFingerprints: { [FINGERPRINT_KEY]: finding.fingerprint },
    ...(state ? { baselineState: state } : {}),
  };
}

/** Root-relative paths against %SRCROOT%; a file outside the root by its absolute file: URI. */
function artifact(file: string): object {
  if (file.startsWith('/') || /^[A-Za-z]:\//.test(file)) return { uri: pathToFileURL(file).href };
  return { uri: file.split('/').map(encodeURIComponent).join('/'), uriBaseId: '%SRCROOT%' };
}

function directoryUri(dir: string): string {
  const href = pathToFileURL(dir).href;
  return href.endsWith('/') ? href : href + '/';
}
