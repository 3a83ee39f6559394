import type * as TS from 'typescript';
import type { TypeScript } from './typescript';

/**
 * Where a function of the project is used. Built lazily and only by name: every identifier of the
 * scanned files is indexed once (a syntax walk, no checker), and the checker is only asked whether
 * an identifier that bears the function's name (or an import renamed from it) resolves to it. The
 * scan looks up the callers of the few functions that hold SDK calls, never a whole call graph.
 */
export class References {
  #byName: Map<string, TS.MemberName[]> | undefined;
  /** `import { a as b }` / `export { a as b }`: a → b; `import x from` / `export default`: 'default' → x. */
  readonly #renames = new Map<string, Set<string>>();

  constructor(
    private readonly ts: TypeScript,
    private readonly checker: TS.TypeChecker,
    private readonly files: readonly TS.SourceFile[],
  ) {}

  /** The identifiers in the scanned files that resolve to `declaration` (its own name left out). */
  to(declaration: TS.Declaration, name: string, isDefaultExport = false): TS.MemberName[] {
    const out: TS.MemberName[] = [];
    const own = (declaration as { name?: TS.Node }).name;
    for (const candidate of this.#candidates(name, isDefaultExport)) {
      if (candidate === own) continue;
      if (this.#resolvesTo(candidate, declaration)) out.push(candidate);
    }
    return out;
  }

  #candidates(name: string, isDefaultExport: boolean): TS.MemberName[] {
    const index = this.#index();
    const names = new Set([name]);
    if (isDefaultExport) for (const local of this.#renames.get('default') ?? []) names.add(local);
    // Renames of renames: a re-export under another name, imported under a third.
    for (const n of names) for (const renamed of this.#renames.get(n) ?? []) names.add(renamed);
    return [...names].flatMap((n) => index.get(n) ?? []);
  }

  #resolvesTo(id: TS.MemberName, declaration: TS.Declaration): boolean {
    const ts = this.ts;
    const parent = id.parent;
    let symbol: TS.Symbol | undefined;
    if (ts.isShorthandPropertyAssignment(parent) && parent.name === id) {
      symbol = this.checker.getShorthandAssignmentValueSymbol(parent);
    } else if (ts.isExportSpecifier(parent)) {
      symbol = this.checker.getExportSpecifierLocalTargetSymbol(parent);
    } else {
      symbol = this.checker.getSymbolAtLocation(id);
    }
    if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = this.checker.getAliasedSymbol(symbol);
    return symbol?.declarations?.includes(declaration) ?? false;
  }

  #index(): Map<string, TS.MemberName[]> {
    if (this.#byName) return this.#byName;
    const ts = this.ts;
    const byName = new Map<string, TS.MemberName[]>();
    const rename = (from: string, to: string) => {
      if (from === to) return;
      const set = this.#renames.get(from) ?? new Set<string>();
      set.add(to);
      this.#renames.set(from, set);
    };
    const visit = (node: TS.Node): void => {
      if (ts.isIdentifier(node) || ts.isPrivateIdentifier(node)) {
        const list = byName.get(node.text);
        if (list) list.push(node);
        else byName.set(node.text, [node]);
        return;
      }
      if ((ts.isImportSpecifier(node) || ts.isExportSpecifier(node)) && node.propertyName) {
        rename(node.propertyName.text, node.name.text);
      } else if (ts.isImportClause(node) && node.name) {
        rename('default', node.name.text);
      }
      ts.forEachChild(node, visit);
    };
    for (const file of this.files) visit(file);
    this.#byName = byName;
    return byName;
  }
}
