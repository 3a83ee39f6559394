/**
 * What `mima-guard inventory` lists: the AI SDKs the guard patches that the project has installed
 * or calls, their installed versions, and the models and providers its calls name where the code
 * says so (a string literal, or a const holding one, in the call's `model` / `modelId`, or the
 * argument of an AI SDK provider function such as `openai('gpt-4o')`), each with its call sites.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as TS from 'typescript';
import type { ScanReport, ScanSite } from '../scan/format';
import type { TypeScript } from '../scan/typescript';
import { SDK_DEFINITIONS } from '../../app/sdks';
import type { CallGroup } from './report-summary';

export interface InventorySdk {
  package: string;
  /** From `node_modules/<package>/package.json` nearest the project; null when not installed. */
  version: string | null;
  /** Where it is installed, relative to the project; null when not installed. */
  installedAt: string | null;
  /** gen_ai.provider.name of the providers its calls reach, as far as the code shows. */
  providers: string[];
  sites: InventorySite[];
  /** Unattested calls the guard recorded (with --file), per call site and code location. */
  recorded: CallGroup[];
}

export interface InventorySite extends ScanSite {
  /** The model the call names, where the code shows it. */
  model: string | null;
  provider: string;
}

export interface InventoryModel {
  name: string;
  provider: string;
  sites: InventorySite[];
}

export interface Inventory {
  project: { name: string; version: string | null };
  sdks: InventorySdk[];
  models: InventoryModel[];
  /** The providers the SDKs' calls and the models reach, 'unknown' left out. */
  providers: string[];
}

/** gen_ai.provider.name per package, and per client class where one package serves several. */
const PROVIDERS: Record<string, string> = {
  openai: 'openai',
  'openai.AzureOpenAI': 'azure.ai.openai',
  'openai.BedrockOpenAI': 'aws.bedrock',
  '@anthropic-ai/sdk': 'anthropic',
  'anthropic.AnthropicBedrock': 'aws.bedrock',
  'anthropic.AnthropicBedrockMantle': 'aws.bedrock',
  'anthropic.AnthropicVertex': 'gcp.vertex_ai',
  'groq-sdk': 'groq',
  'cohere-ai': 'cohere',
  '@mistralai/mistralai': 'mistral_ai',
  '@google/genai': 'gcp.gen_ai',
  '@aws-sdk/client-bedrock-runtime': 'aws.bedrock',
  litellm: 'litellm',
  // The AI SDK's provider is its model's: known where the model comes from an @ai-sdk/ package.
  ai: 'unknown',
};

/** The provider a call reaches: by its client class where that tells, else by package. */
function providerOf(site: ScanSite): string {
  const [prefix, clientClass] = site.call_site.split('.');
  return PROVIDERS[`${prefix}.${clientClass}`] ?? PROVIDERS[site.package] ?? site.package;
}

/** The installed copy nearest the project directory, as Node resolves a bare name (exports aside). */
function installed(module: string, projectDir: string): { version: string | null; dir: string } | null {
  for (let dir = projectDir; ; dir = path.dirname(dir)) {
    const pkgDir = path.join(dir, 'node_modules', ...module.split('/'));
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as {
        version?: unknown;
      };
      return { version: typeof pkg.version === 'string' ? pkg.version : null, dir: pkgDir };
    } catch {
      // not here
    }
    if (path.dirname(dir) === dir) return null;
  }
}

const MAX_SOURCE_BYTES = 8 * 1024 * 1024;

/** Reads the model named at call sites, one parse per file that has sites. */
class ModelReader {
  private readonly files = new Map<string, TS.SourceFile | null>();

  constructor(
    private readonly ts: TypeScript,
    private readonly displayRoot: string,
  ) {}

  read(site: ScanSite): { model: string; provider?: string } | null {
    const file = this.source(site.file);
    if (!file) return null;
    let position: number;
    try {
      position = file.getPositionOfLineAndCharacter(site.line - 1, site.column - 1);
    } catch {
      return null;
    }
    const call = this.callAt(file, position);
    return call ? this.modelOfArguments(file, call.arguments) : null;
  }

  private source(relative: string): TS.SourceFile | null {
    if (this.files.has(relative)) return this.files.get(relative) ?? null;
    let file: TS.SourceFile | null = null;
    try {
      const absolute = path.resolve(this.displayRoot, relative);
      const stat = fs.statSync(absolute);
      if (stat.isFile() && stat.size <= MAX_SOURCE_BYTES) {
        const text = fs.readFileSync(absolute, 'utf8');
        file = this.ts.createSourceFile(absolute, text, this.ts.ScriptTarget.Latest, true);
      }
    } catch {
      file = null;
    }
    this.files.set(relative, file);
    return file;
  }

  private callAt(file: TS.SourceFile, position: number): TS.CallExpression | undefined {
    const ts = this.ts;
    let found: TS.CallExpression | undefined;
    const visit = (node: TS.Node): void => {
      if (found || position < node.getFullStart() || position >= node.getEnd()) return;
      if (ts.isCallExpression(node) && node.getStart(file) === position) found = node;
      ts.forEachChild(node, visit);
    };
    visit(file);
    return found;
  }

  /** `{ model: … }` / `{ modelId: … }` in an argument, or in a `new Command({ … })` argument. */
  private modelOfArguments(
    file: TS.SourceFile,
    args: readonly TS.Expression[],
  ): { model: string; provider?: string } | null {
    const ts = this.ts;
    for (const arg of args) {
      const object = ts.isNewExpression(arg) ? arg.arguments?.[0] : arg;
      if (!object || !ts.isObjectLiteralExpression(object)) continue;
      for (const property of object.properties) {
        if (!ts.isPropertyAssignment(property) && !ts.isShorthandPropertyAssignment(property)) continue;
        const name = property.name.getText(file);
        if (name !== 'model' && name !== 'modelId') continue;
        const value = ts.isPropertyAssignment(property) ? property.initializer : property.name;
        const model = this.modelOf(file, value);
        if (model) return model;
      }
    }
    return null;
  }

  private modelOf(file: TS.SourceFile, value: TS.Expression): { model: string; provider?: string } | null {
    const ts = this.ts;
    const text = this.stringOf(file, value);
    if (text !== undefined) return { model: text };
    // An AI SDK provider function: openai('gpt-4o'), anthropic.messages('claude-…').
    if (ts.isCallExpression(value) && value.arguments.length > 0) {
      const id = this.stringOf(file, value.arguments[0]);
      if (id === undefined) return null;
      const root = ts.isPropertyAccessExpression(value.expression)
        ? value.expression.expression
        : value.expression;
      const from = ts.isIdentifier(root) ? this.importedFrom(file, root.text) : undefined;
      const provider = from?.startsWith('@ai-sdk/') ? from.slice('@ai-sdk/'.length) : undefined;
      return { model: id, provider };
    }
    return null;
  }

  /** A string literal, or an identifier bound by a `const` in the same file to one. */
  private stringOf(file: TS.SourceFile, node: TS.Expression): string | undefined {
    const ts = this.ts;
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
    if (!ts.isIdentifier(node)) return undefined;
    for (const statement of file.statements) {
      if (!ts.isVariableStatement(statement) || !(statement.declarationList.flags & ts.NodeFlags.Const))
        continue;
      for (const declaration of statement.declarationList.declarations) {
        if (!ts.isIdentifier(declaration.name) || declaration.name.text !== node.text) continue;
        const init = declaration.initializer;
        if (init && (ts.isStringLiteral(init) || ts.isNoSubstitutionTemplateLiteral(init))) return init.text;
      }
    }
    return undefined;
  }

  /** The module a local name is imported from (ES import or `const x = require('…')`). */
  private importedFrom(file: TS.SourceFile, local: string): string | undefined {
    const ts = this.ts;
    for (const statement of file.statements) {
      if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier)) {
        const clause = statement.importClause;
        const names = [
          clause?.name?.text,
          ...(clause?.namedBindings && ts.isNamedImports(clause.namedBindings)
            ? clause.namedBindings.elements.map((element) => element.name.text)
            : clause?.namedBindings && ts.isNamespaceImport(clause.namedBindings)
              ? [clause.namedBindings.name.text]
              : []),
        ];
        if (names.includes(local)) return statement.moduleSpecifier.text;
      }
      if (ts.isVariableStatement(statement)) {
        for (const declaration of statement.declarationList.declarations) {
          const init = declaration.initializer;
          if (!init || !ts.isCallExpression(init) || init.expression.getText(file) !== 'require') continue;
          const specifier = init.arguments[0];
          if (!specifier || !ts.isStringLiteral(specifier)) continue;
          const bound = ts.isIdentifier(declaration.name)
            ? [declaration.name.text]
            : ts.isObjectBindingPattern(declaration.name)
              ? declaration.name.elements.map((element) => element.name.getText(file))
              : [];
          if (bound.includes(local)) return specifier.text;
        }
      }
    }
    return undefined;
  }
}

function projectOf(projectDir: string): Inventory['project'] {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(projectDir, 'package.json'), 'utf8')) as {
      name?: unknown;
      version?: unknown;
    };
    return {
      name: typeof pkg.name === 'string' && pkg.name !== '' ? pkg.name : path.basename(projectDir),
      version: typeof pkg.version === 'string' ? pkg.version : null,
    };
  } catch {
    return { name: path.basename(projectDir), version: null };
  }
}

/**
 * The inventory of a scanned project: every SDK of the guard's table installed near `projectDir`
 * or called in the scan, with its sites; the models named at those sites.
 */
export function buildInventory(
  ts: TypeScript,
  report: ScanReport,
  projectDir: string,
  displayRoot: string,
  recorded: CallGroup[] = [],
): Inventory {
  const reader = new ModelReader(ts, displayRoot);
  const sites: InventorySite[] = report.sites.map((site) => {
    const found = reader.read(site);
    return { ...site, model: found?.model ?? null, provider: found?.provider ?? providerOf(site) };
  });
  const sdks: InventorySdk[] = [];
  for (const definition of SDK_DEFINITIONS) {
    const copy = installed(definition.module, projectDir);
    const own = sites.filter((site) => site.package === definition.module);
    // A record names its SDK by the call site's first segment, as the definition's call sites do.
    const prefixes = new Set(definition.callSites.map((callSite) => callSite.split('.')[0]));
    const seen = recorded.filter((group) => prefixes.has(group.call_site.split('.')[0]));
    if (!copy && own.length === 0 && seen.length === 0) continue;
    sdks.push({
      package: definition.module,
      version: copy?.version ?? null,
      installedAt: copy ? path.relative(projectDir, copy.dir).split(path.sep).join('/') : null,
      providers: [...new Set(own.map((site) => site.provider))].sort(),
      sites: own,
      recorded: seen,
    });
  }
  const models = new Map<string, InventoryModel>();
  for (const site of sites) {
    if (site.model === null) continue;
    const key = `${site.provider}\u0000${site.model}`;
    let model = models.get(key);
    if (!model) models.set(key, (model = { name: site.model, provider: site.provider, sites: [] }));
    model.sites.push(site);
  }
  const providers = new Set([
    ...sdks.flatMap((sdk) => sdk.providers),
    ...[...models.values()].map((m) => m.provider),
  ]);
  providers.delete('unknown');
  return {
    project: projectOf(projectDir),
    sdks: sdks.sort((a, b) => a.package.localeCompare(b.package)),
    models: [...models.values()].sort(
      (a, b) => a.provider.localeCompare(b.provider) || a.name.localeCompare(b.name),
    ),
    providers: [...providers].sort(),
  };
}
