/**
 * The inventory as a Markdown document a reviewer can paste into a pull request or a wiki: the
 * project, then tables of the AI SDKs, the models named in the code, the providers and every call
 * site. Only names, versions, paths and positions, never code or prompt text; each of those that
 * the code or a log supplied goes through markdownCell(), so none can break a table or be read as
 * Markdown. No timestamp: the same project gives the same document, so it diffs cleanly.
 */
import * as path from 'node:path';
import { compareSites } from '../scan/format';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../../app/version';
import type { Inventory, InventorySdk, InventorySite } from './inventory-model';
import { markdownCell as cell, markdownTable } from './markdown-text';
import type { CallGroup } from './report-summary';

const VERDICTS = ['unattested', 'unknown', 'attested'] as const;

const at = (site: InventorySite) => `${site.file}:${site.line}`;

/** `2`, or `2 (1 blocked)`. */
const calls = (count: number, blocked: number) =>
  blocked > 0 ? `${count} (${blocked} blocked)` : `${count}`;

/** A record's `file:line` as the scan names it: an absolute path (outside the app's cwd) made relative. */
function recordedAt(group: CallGroup, displayRoot: string): string {
  const location = group.code_location;
  if (!path.isAbsolute(location)) return location;
  return path.relative(displayRoot, location).split(path.sep).join('/');
}

function sdkTable(inventory: Inventory, runtime: boolean): string[] {
  const header = ['Package', 'Installed version', ...VERDICTS.map((v) => `Call sites ${v}`)];
  const rows = inventory.sdks.map((sdk) => [
    cell(sdk.package),
    sdk.version !== null ? cell(sdk.version) : sdk.installedAt !== null ? 'unknown' : 'not installed',
    ...VERDICTS.map((verdict) => `${sdk.sites.filter((site) => site.verdict === verdict).length}`),
    ...(runtime ? [runtimeCalls(sdk)] : []),
  ]);
  return markdownTable(runtime ? [...header, 'Runtime unattested calls'] : header, rows);
}

function runtimeCalls(sdk: InventorySdk): string {
  const sum = (key: 'count' | 'blocked') => sdk.recorded.reduce((total, group) => total + group[key], 0);
  return calls(sum('count'), sum('blocked'));
}

function modelTable(inventory: Inventory): string[] {
  return markdownTable(
    ['Provider', 'Model', 'Named at'],
    inventory.models.map((model) => [
      cell(model.provider),
      cell(model.name),
      model.sites.map((site) => cell(at(site))).join(', '),
    ]),
  );
}

function providerTable(inventory: Inventory): string[] {
  return markdownTable(
    ['Provider (gen_ai.provider.name)', 'Reached through', 'Models named'],
    inventory.providers.map((provider) => [
      cell(provider),
      inventory.sdks
        .filter((sdk) => sdk.providers.includes(provider))
        .map((sdk) => cell(sdk.package))
        .join(', '),
      inventory.models
        .filter((model) => model.provider === provider)
        .map((model) => cell(model.name))
        .join(', '),
    ]),
  );
}

/**
 * Every static call site, with the unattested calls recorded there; then each recorded place the
 * scan did not find (a dynamic call, code not scanned), so no record is left out.
 */
function siteTable(inventory: Inventory, runtime: boolean, displayRoot: string): string[] {
  const sites = inventory.sdks.flatMap((sdk) => sdk.sites).sort(compareSites);
  const groups = inventory.sdks.flatMap((sdk) => sdk.recorded);
  const matched = new Set<CallGroup>();
  const rows = sites.map((site) => {
    const mine = groups.filter(
      (group) => group.call_site === site.call_site && recordedAt(group, displayRoot) === at(site),
    );
    for (const group of mine) matched.add(group);
    const count = mine.reduce((sum, group) => sum + group.count, 0);
    const blocked = mine.reduce((sum, group) => sum + group.blocked, 0);
    return [cell(at(site)), cell(site.call_site), site.verdict, ...(runtime ? [calls(count, blocked)] : [])];
  });
  for (const group of groups) {
    if (matched.has(group)) continue;
    rows.push([
      cell(recordedAt(group, displayRoot)),
      cell(group.call_site),
      'not found by the scan (recorded at run time)',
      calls(group.count, group.blocked),
    ]);
  }
  const header = ['Location', 'Call site', 'Verdict'];
  return markdownTable(runtime ? [...header, 'Runtime unattested calls'] : header, rows);
}

/** A section: its heading, then the table, or a sentence when it has no rows. */
function section(title: string, table: string[], none: string): string[] {
  return [`## ${title}`, '', ...(table.length > 2 ? table : [none]), ''];
}

/**
 * `runtime`: logs were given (--file), so the runtime columns are shown, zeros included.
 * `displayRoot`: the directory the sites' paths are relative to (the current directory).
 */
export function inventoryMarkdown(inventory: Inventory, runtime: boolean, displayRoot: string): string {
  const { name, version } = inventory.project;
  const sources = runtime
    ? 'the static scan of the code and the unattested calls the guard recorded in the logs given'
    : 'the static scan of the code';
  return [
    `# AI inventory: ${cell(name)}${version !== null ? ` ${cell(version)}` : ''}`,
    '',
    `From ${sources}, by ${cell(PACKAGE_NAME)} ${PACKAGE_VERSION} (\`mima-guard inventory --format md\`).`,
    'Verdicts: unattested (the call can run outside attest()), unknown (the scan cannot tell), attested.',
    '',
    ...section(
      'AI SDKs',
      sdkTable(inventory, runtime),
      'No AI SDK the guard patches is installed or called.',
    ),
    ...section('Models named in code', modelTable(inventory), 'No call names its model in the code.'),
    ...section('Providers', providerTable(inventory), 'No provider is known from the code.'),
    ...section('Call sites', siteTable(inventory, runtime, displayRoot), 'No call site found.'),
  ]
    .join('\n')
    .trimEnd();
}
