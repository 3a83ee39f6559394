/**
 * The inventory as a CycloneDX 1.6 JSON BOM, written by hand (a few objects; the guard takes no
 * runtime dependency for it): a `library` component per AI SDK (purl, installed version), a
 * `machine-learning-model` component per model named in the code, a service per model provider,
 * and each call site as an evidence occurrence (file, line, column, call site, verdict) of the
 * SDK and of the model it names. Never code: only paths, positions and names.
 */
import { randomUUID } from 'node:crypto';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../../app/version';
import type { Inventory, InventorySite } from './inventory-model';
import type { CallGroup } from './report-summary';

type Json = Record<string, unknown>;

/** `pkg:npm/%40scope/name@version`, the purl spec's npm form. */
export function npmPurl(name: string, version: string | null): string {
  const [scope, bare] = name.startsWith('@') ? name.split('/') : [undefined, name];
  const encoded = (text: string) => encodeURIComponent(text);
  const namespace = scope ? `${encoded(scope)}/` : '';
  return `pkg:npm/${namespace}${encoded(bare)}${version ? `@${encoded(version)}` : ''}`;
}

function occurrence(site: InventorySite): Json {
  return {
    location: site.file,
    line: site.line,
    offset: site.column,
    symbol: site.call_site,
    additionalContext: `${site.verdict}: ${site.reason}`,
  };
}

/** Recorded at run time: the code location a record names (`file:line`), as an occurrence. */
function recordedOccurrence(group: CallGroup): Json {
  const at = group.code_location.lastIndexOf(':');
  const line = at > 0 ? Number(group.code_location.slice(at + 1)) : NaN;
  const blocked = group.blocked > 0 ? `, ${group.blocked} blocked` : '';
  return {
    location: Number.isInteger(line) && line > 0 ? group.code_location.slice(0, at) : group.code_location,
    ...(Number.isInteger(line) && line > 0 ? { line } : {}),
    symbol: group.call_site,
    additionalContext: `recorded at run time: ${group.count} unattested calls${blocked}, ${group.first_seen} to ${group.last_seen}`,
  };
}

const property = (name: string, value: string | number) => ({ name, value: String(value) });

function verdictCounts(sites: InventorySite[]): Array<{ name: string; value: string }> {
  return (['unattested', 'unknown', 'attested'] as const).map((verdict) =>
    property(`mima:call_sites:${verdict}`, sites.filter((site) => site.verdict === verdict).length),
  );
}

const serviceRef = (provider: string) => `service:${provider}`;
const modelRef = (provider: string, name: string) => `model:${provider}/${name}`;

export function cyclonedxBom(inventory: Inventory, now: Date = new Date()): Json {
  const projectRef = 'project';

  const sdkComponents = inventory.sdks.map((sdk) => {
    const [group, name] = sdk.package.startsWith('@') ? sdk.package.split('/') : [undefined, sdk.package];
    const purl = npmPurl(sdk.package, sdk.version);
    return {
      type: 'library',
      'bom-ref': purl,
      ...(group ? { group } : {}),
      name,
      ...(sdk.version ? { version: sdk.version } : {}),
      purl,
      description: 'AI SDK whose calls the Mima guard checks for attest()',
      properties: [
        property('mima:installed', sdk.installedAt ?? 'no (called in code, not found in node_modules)'),
        ...verdictCounts(sdk.sites),
        property(
          'mima:runtime:unattested_calls',
          sdk.recorded.reduce((sum, group) => sum + group.count, 0),
        ),
      ],
      ...(sdk.sites.length + sdk.recorded.length > 0
        ? {
            evidence: {
              occurrences: [...sdk.sites.map(occurrence), ...sdk.recorded.map(recordedOccurrence)],
            },
          }
        : {}),
    };
  });
  const modelComponents = inventory.models.map((model) => ({
    type: 'machine-learning-model',
    'bom-ref': modelRef(model.provider, model.name),
    ...(model.provider !== 'unknown' ? { publisher: model.provider } : {}),
    name: model.name,
    description: 'model named in the code at these call sites',
    properties: [property('mima:gen_ai.provider.name', model.provider), ...verdictCounts(model.sites)],
    evidence: { occurrences: model.sites.map(occurrence) },
  }));
  const services = inventory.providers.map((provider) => ({
    'bom-ref': serviceRef(provider),
    name: provider,
    description: 'model provider the AI SDK calls reach (gen_ai.provider.name)',
    properties: [property('mima:gen_ai.provider.name', provider)],
  }));
  const dependencies = [
    { ref: projectRef, dependsOn: sdkComponents.map((component) => component['bom-ref']) },
    ...inventory.sdks.map((sdk, index) => ({
      ref: sdkComponents[index]['bom-ref'],
      dependsOn: [
        ...sdk.providers.filter((provider) => provider !== 'unknown').map(serviceRef),
        ...inventory.models
          .filter((model) => model.sites.some((site) => site.package === sdk.package))
          .map((model) => modelRef(model.provider, model.name)),
      ],
    })),
  ];
  return {
    $schema: 'http://cyclonedx.org/schema/bom-1.6.schema.json',
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: `urn:uuid:${randomUUID()}`,
    version: 1,
    metadata: {
      timestamp: now.toISOString(),
      tools: {
        components: [
          {
            type: 'application',
            group: PACKAGE_NAME.split('/')[0],
            name: PACKAGE_NAME.split('/')[1],
            version: PACKAGE_VERSION,
            purl: npmPurl(PACKAGE_NAME, PACKAGE_VERSION),
          },
        ],
      },
      component: {
        type: 'application',
        'bom-ref': projectRef,
        name: inventory.project.name,
        ...(inventory.project.version ? { version: inventory.project.version } : {}),
      },
    },
    components: [...sdkComponents, ...modelComponents],
    services,
    dependencies,
  };
}
