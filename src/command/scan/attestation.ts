import type * as TS from 'typescript';
import { PACKAGE_NAME } from '../../app/version';
import type { PackageLookup } from './packages';
import { skipOuter } from './syntax';
import type { TypeScript } from './typescript';

/** The guard's API that attests: its functions, and MimaGovernance's methods. */
type GuardApi = 'attest' | 'withAttested' | 'mima.attest' | 'mima.wrap';

const GUARD_NAMES = new Set(['attest', 'withAttested', 'wrap']);

/**
 * Recognises the guard's attestation in source: a function passed to attest(), withAttested(),
 * attest()(fn), mima.attest()(fn) or mima.wrap(fn); a method decorated with @attest or
 * @mima.attest(); a client given to mima.wrap(). Each by the declaration the callee resolves to
 * (the guard's package), so a local function that happens to be called `attest` does not count.
 */
export class Attestations {
  readonly #byFunction = new Map<TS.Node, TS.Node | null>();
  readonly #byCallee = new Map<TS.Node, GuardApi | null>();

  constructor(
    private readonly ts: TypeScript,
    private readonly checker: TS.TypeChecker,
    private readonly packages: PackageLookup,
  ) {}

  /** What attests a function when it runs (the attest() call or the decorator), if anything does. */
  attestedBy(fn: TS.Node): TS.Node | undefined {
    let found = this.#byFunction.get(fn);
    if (found === undefined) {
      found = this.#findAttestation(fn) ?? null;
      this.#byFunction.set(fn, found);
    }
    return found ?? undefined;
  }

  /** A call that runs its function arguments attested: attest(fn), withAttested(fn), attest()(fn), mima.wrap(fn). */
  isAttestingCall(call: TS.CallExpression): boolean {
    const callee = skipOuter(this.ts, call.expression);
    if (this.ts.isCallExpression(callee)) {
      const factory = this.guardApi(callee.expression);
      return factory === 'attest' || factory === 'mima.attest';
    }
    return this.guardApi(callee) !== undefined;
  }

  /** The mima.wrap(client) call an expression's value comes from, following consts and fields. */
  wrapCallOf(expression: TS.Expression, depth = 0): TS.CallExpression | undefined {
    const ts = this.ts;
    const e = skipOuter(ts, expression);
    if (ts.isCallExpression(e)) return this.guardApi(e.expression) === 'mima.wrap' ? e : undefined;
    if (depth > 4 || !(ts.isIdentifier(e) || ts.isPropertyAccessExpression(e))) return undefined;
    const symbol = this.#resolved(ts.isIdentifier(e) ? e : e.name);
    for (const declaration of symbol?.declarations ?? []) {
      const initializer =
        ts.isVariableDeclaration(declaration) || ts.isPropertyDeclaration(declaration)
          ? declaration.initializer
          : undefined;
      const call = initializer && this.wrapCallOf(initializer, depth + 1);
      if (call) return call;
    }
    return undefined;
  }

  /** Which attesting API of the guard a callee is, by what it resolves to. */
  guardApi(callee: TS.Expression): GuardApi | undefined {
    let api = this.#byCallee.get(callee);
    if (api === undefined) {
      api = this.#guardApi(callee) ?? null;
      this.#byCallee.set(callee, api);
    }
    return api ?? undefined;
  }

  #guardApi(calleeExpression: TS.Expression): GuardApi | undefined {
    const ts = this.ts;
    const callee = skipOuter(ts, calleeExpression);
    const name = ts.isIdentifier(callee)
      ? callee
      : ts.isPropertyAccessExpression(callee)
        ? callee.name
        : undefined;
    // Cheap first: only an identifier can be a renamed import of attest / withAttested.
    if (!name || (!GUARD_NAMES.has(name.text) && !ts.isIdentifier(callee))) return undefined;
    const symbol = this.checker.getSymbolAtLocation(name);
    const imported = symbol ? this.#importedName(symbol) : undefined;
    if (!GUARD_NAMES.has(name.text) && !(imported && GUARD_NAMES.has(imported))) return undefined;
    const target =
      symbol && symbol.flags & ts.SymbolFlags.Alias ? this.checker.getAliasedSymbol(symbol) : symbol;
    const declaration = target?.declarations?.[0];
    if (!declaration) return imported ? this.#unresolvedImport(symbol) : undefined;
    if (this.packages.of(declaration.getSourceFile().fileName)?.name !== PACKAGE_NAME) return undefined;
    const parent = declaration.parent;
    if (
      ts.isMethodDeclaration(declaration) &&
      ts.isClassLike(parent) &&
      parent.name?.text === 'MimaGovernance'
    ) {
      return target?.name === 'attest' ? 'mima.attest' : target?.name === 'wrap' ? 'mima.wrap' : undefined;
    }
    if (ts.isFunctionDeclaration(declaration)) {
      return target?.name === 'attest'
        ? 'attest'
        : target?.name === 'withAttested'
          ? 'withAttested'
          : undefined;
    }
    return undefined;
  }

  /** `import { attest as a }`: the name the guard exports it by. */
  #importedName(symbol: TS.Symbol): string | undefined {
    const declaration = symbol.declarations?.[0];
    if (!declaration || !this.ts.isImportSpecifier(declaration)) return undefined;
    return (declaration.propertyName ?? declaration.name).text;
  }

  /** A project that imports the guard but cannot resolve its types: trust the import specifier. */
  #unresolvedImport(symbol: TS.Symbol | undefined): GuardApi | undefined {
    const declaration = symbol?.declarations?.[0];
    if (!declaration || !this.ts.isImportSpecifier(declaration)) return undefined;
    const from = declaration.parent.parent.parent.moduleSpecifier;
    if (!this.ts.isStringLiteral(from) || !from.text.startsWith(PACKAGE_NAME)) return undefined;
    const name = (declaration.propertyName ?? declaration.name).text;
    return name === 'attest' || name === 'withAttested' ? name : undefined;
  }

  #resolved(node: TS.Node): TS.Symbol | undefined {
    const symbol = this.checker.getSymbolAtLocation(node);
    return symbol && symbol.flags & this.ts.SymbolFlags.Alias
      ? this.checker.getAliasedSymbol(symbol)
      : symbol;
  }

  #findAttestation(fn: TS.Node): TS.Node | undefined {
    const ts = this.ts;
    if (ts.isMethodDeclaration(fn)) {
      for (const decorator of ts.getDecorators(fn) ?? []) {
        const expression = skipOuter(ts, decorator.expression);
        const api = ts.isCallExpression(expression)
          ? this.guardApi(expression.expression)
          : this.guardApi(expression);
        if (api === 'attest' || api === 'mima.attest') return decorator;
      }
      return undefined;
    }
    // A function expression passed (maybe through parentheses or `as`) to an attesting call.
    let node: TS.Node = fn;
    while (ts.isParenthesizedExpression(node.parent) || ts.isAsExpression(node.parent)) node = node.parent;
    const call = node.parent;
    if (ts.isCallExpression(call) && call.arguments.includes(node as TS.Expression)) {
      return this.isAttestingCall(call) ? call : undefined;
    }
    return undefined;
  }
}
