import type * as TS from 'typescript';
import type { SdkDefinition, UserApi } from '../../app/sdks/definition';
import type { PackageFile, PackageLookup } from './packages';
import type { TypeScript } from './typescript';

/** What a declaration is, for the SDK table: a method of a class, or a function a file exports. */
export interface ApiMember {
  sdk: SdkDefinition;
  kind: 'function' | 'method';
  /** The class or interface that declares a method (or the receiver's class for an inherited one). */
  className?: string;
  name: string;
}

/**
 * The SDK definitions' userApi tables, ready for matching: the names worth asking the checker
 * about (every function and method name the table can match in the SDK declarations the program
 * loaded), and the test of one declaration against the table.
 */
export class ApiTable {
  /** Call names worth a checker query; anything else is skipped without one. */
  readonly names = new Set<string>();
  /** Method names matched through the receiver's type (inherited from outside the package). */
  readonly receiverNames = new Set<string>();
  readonly #byModule = new Map<string, SdkDefinition>();

  constructor(
    private readonly ts: TypeScript,
    readonly packages: PackageLookup,
    definitions: readonly SdkDefinition[],
    program: TS.Program,
  ) {
    for (const sdk of definitions) {
      // Definitions that share a declaring package (the AI SDK providers) share one table.
      const declaredIn = sdk.userApi.declaredIn ?? sdk.module;
      if (!this.#byModule.has(declaredIn)) this.#byModule.set(declaredIn, sdk);
      const api = sdk.userApi;
      for (const name of api.functions ?? []) this.names.add(name);
      for (const rule of api.classes ?? []) {
        for (const name of rule.methods ?? []) {
          this.names.add(name);
          this.receiverNames.add(name);
        }
      }
    }
    this.#collectDeclaredNames(program);
  }

  sdkOf(pkg: PackageFile | undefined): SdkDefinition | undefined {
    return pkg ? this.#byModule.get(pkg.name) : undefined;
  }

  /** The table entry a declaration is, if any. `exportName`: the name it was imported by. */
  match(declaration: TS.Declaration, exportName?: string): ApiMember | undefined {
    const pkg = this.packages.of(declaration.getSourceFile().fileName);
    const sdk = this.sdkOf(pkg);
    if (!sdk || !pkg) return undefined;
    const api = sdk.userApi;
    const name = declarationName(this.ts, declaration);
    if (name === undefined) return undefined;
    if (isTopLevelFunction(this.ts, declaration)) {
      const called = exportName && api.functions?.includes(exportName) ? exportName : name;
      if (api.functions?.includes(called) || underAny(pkg.relative, api.functionsIn)) {
        return { sdk, kind: 'function', name: called };
      }
      return undefined;
    }
    const owner = memberOwner(this.ts, declaration);
    if (!owner || api.localMethods?.includes(name)) return undefined;
    const inClass = api.classes?.some(
      (rule) => rule.names.includes(owner.name) && (!rule.methods || rule.methods.includes(name)),
    );
    // methodsIn means classes: a resource file's interfaces describe request and response data.
    if (inClass || (owner.isClass && underAny(pkg.relative, api.methodsIn))) {
      return { sdk, kind: 'method', className: owner.name, name };
    }
    return undefined;
  }

  /**
   * A method named in a `classes` rule, called on an instance of the rule's class or a subclass,
   * when its declaration lies outside the package (Bedrock's `send`, from smithy's Client).
   */
  matchReceiver(checker: TS.TypeChecker, receiver: TS.Expression, method: string): ApiMember | undefined {
    if (!this.receiverNames.has(method)) return undefined;
    for (const cls of classChain(this.ts, checker, checker.getTypeAtLocation(receiver))) {
      const declaration = cls.declarations?.[0];
      if (!declaration) continue;
      const sdk = this.sdkOf(this.packages.of(declaration.getSourceFile().fileName));
      const hit = sdk?.userApi.classes?.some(
        (rule) => rule.names.includes(cls.name) && rule.methods?.includes(method),
      );
      if (sdk && hit) return { sdk, kind: 'method', className: cls.name, name: method };
    }
    return undefined;
  }

  /** Names declared by the SDK files the program loaded, under the table's paths and classes. */
  #collectDeclaredNames(program: TS.Program): void {
    const ts = this.ts;
    for (const file of program.getSourceFiles()) {
      if (!file.isDeclarationFile) continue;
      const pkg = this.packages.of(file.fileName);
      const api = this.sdkOf(pkg)?.userApi;
      if (!api || !pkg) continue;
      const methodsHere = underAny(pkg.relative, api.methodsIn);
      const functionsHere = underAny(pkg.relative, api.functionsIn);
      const classesHere = new Set((api.classes ?? []).filter((r) => !r.methods).flatMap((r) => r.names));
      if (!methodsHere && !functionsHere && classesHere.size === 0) continue;
      const visit = (node: TS.Node): void => {
        if ((ts.isClassDeclaration(node) || ts.isInterfaceDeclaration(node)) && node.name) {
          const resource = methodsHere && ts.isClassDeclaration(node);
          if (resource || classesHere.has(node.name.text)) this.#addMembers(node, api);
        } else if (functionsHere && ts.isFunctionDeclaration(node) && node.name) {
          this.names.add(node.name.text);
        } else if (ts.isModuleDeclaration(node) || ts.isModuleBlock(node)) {
          ts.forEachChild(node, visit);
        }
      };
      ts.forEachChild(file, visit);
    }
  }

  #addMembers(node: TS.ClassDeclaration | TS.InterfaceDeclaration, api: UserApi): void {
    for (const member of node.members) {
      const name = member.name && this.ts.isIdentifier(member.name) ? member.name.text : undefined;
      if (name && !api.localMethods?.includes(name)) this.names.add(name);
    }
  }
}

function underAny(relative: string, prefixes: readonly string[] | undefined): boolean {
  return prefixes?.some((prefix) => relative.startsWith(prefix)) ?? false;
}

function declarationName(ts: TypeScript, declaration: TS.Declaration): string | undefined {
  const name = (declaration as { name?: TS.Node }).name;
  return name && (ts.isIdentifier(name) || ts.isPrivateIdentifier(name)) ? name.text : undefined;
}

/** A function (or a const holding one) at the top level of its file or of a `declare module`. */
function isTopLevelFunction(ts: TypeScript, declaration: TS.Declaration): boolean {
  if (ts.isFunctionDeclaration(declaration)) {
    return ts.isSourceFile(declaration.parent) || ts.isModuleBlock(declaration.parent);
  }
  if (ts.isVariableDeclaration(declaration)) {
    const statement = declaration.parent.parent;
    return (
      ts.isVariableStatement(statement) &&
      (ts.isSourceFile(statement.parent) || ts.isModuleBlock(statement.parent))
    );
  }
  return false;
}

/** The class or interface a method (or a callable property) belongs to. */
function memberOwner(
  ts: TypeScript,
  declaration: TS.Declaration,
): { name: string; isClass: boolean } | undefined {
  const callable =
    ts.isMethodDeclaration(declaration) ||
    ts.isMethodSignature(declaration) ||
    ts.isPropertyDeclaration(declaration) ||
    ts.isPropertySignature(declaration);
  if (!callable) return undefined;
  const parent = declaration.parent;
  if ((ts.isClassLike(parent) || ts.isInterfaceDeclaration(parent)) && parent.name) {
    return { name: parent.name.text, isClass: ts.isClassLike(parent) };
  }
  // `type LanguageModelV3 = { doGenerate(...): ... }`: @ai-sdk/provider's model types.
  if (ts.isTypeLiteralNode(parent) && ts.isTypeAliasDeclaration(parent.parent)) {
    return { name: parent.parent.name.text, isClass: false };
  }
  return undefined;
}

/** The class symbols of a type and of its base classes, nearest first (each member of a union). */
export function classChain(ts: TypeScript, checker: TS.TypeChecker, type: TS.Type): TS.Symbol[] {
  const out: TS.Symbol[] = [];
  const seen = new Set<TS.Type>();
  const queue: TS.Type[] = type.isUnion() ? [...type.types] : [type];
  while (queue.length > 0 && out.length < 32) {
    let current = queue.shift() as TS.Type;
    if ((current as TS.TypeReference).target && (current.flags & ts.TypeFlags.Object) !== 0) {
      current = (current as TS.TypeReference).target;
    }
    if (seen.has(current)) continue;
    seen.add(current);
    const symbol = current.getSymbol();
    if (symbol) out.push(symbol);
    if (current.isClassOrInterface()) queue.push(...(checker.getBaseTypes(current) ?? []));
  }
  return out;
}
