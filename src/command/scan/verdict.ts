import * as path from 'node:path';
import type * as TS from 'typescript';
import type { Attestations } from './attestation';
import type { SdkCall } from './call-sites';
import type { References } from './references';
import { hasModifier, isCommonJsExport, isFunctionWithBody, skipOuter } from './syntax';
import type { TypeScript } from './typescript';

export type Verdict = 'attested' | 'unattested' | 'unknown';

export interface Finding {
  verdict: Verdict;
  /** One line: why. */
  reason: string;
}

/** What runs code: a file's top level, a function, or a class (its field initializers run in `new`). */
type Scope = TS.SourceFile | TS.FunctionLikeDeclaration | TS.ClassLikeDeclaration;

/** How a scope can be reached, as far as the scanned files show. */
type Reach =
  | { kind: 'unattested'; entry: string; via: string[] }
  | { kind: 'attested'; by: string }
  | { kind: 'unknown'; reason: string }
  /** A caller still being looked at (recursion): no evidence either way. */
  | { kind: 'cycle' };

/** What a function is known by in the code: the declaration its callers resolve to, and its name. */
interface Named {
  declaration: TS.Declaration;
  name: string;
  label: string;
  isDefaultExport: boolean;
}

/**
 * Classifies each SDK call: attested (lexically inside an attesting function, a decorated method,
 * or through a client from mima.wrap(); or only ever called from attested code), unattested (its
 * function is reachable from a file's top level or from an exported API without passing through
 * an attestation) or unknown (reached only through values the scan cannot follow).
 */
export class Classifier {
  readonly #memo = new Map<Scope, Reach>();
  readonly #inProgress = new Set<Scope>();
  readonly #exportedClasses = new Map<TS.ClassLikeDeclaration, boolean>();
  #sawCycle = false;

  constructor(
    private readonly ts: TypeScript,
    private readonly attestations: Attestations,
    private readonly references: References,
    private readonly displayRoot: string,
  ) {}

  classify(call: SdkCall): Finding {
    const wrapped = call.client && this.attestations.wrapCallOf(call.client);
    if (wrapped) return { verdict: 'attested', reason: `client from mima.wrap() at ${this.where(wrapped)}` };
    const by = this.#lexicalAttestation(call.node);
    if (by) return { verdict: 'attested', reason: this.#inside(by) };
    const reach = this.#reach(this.#scopeOf(call.node));
    switch (reach.kind) {
      case 'unattested':
        return { verdict: 'unattested', reason: unattestedReason(reach) };
      case 'attested':
        return { verdict: 'attested', reason: `only called from attested code (${reach.by})` };
      case 'unknown':
        return { verdict: 'unknown', reason: reach.reason };
      case 'cycle':
        return { verdict: 'unknown', reason: 'only called from functions that call each other' };
    }
  }

  /** `src/a.ts:12`, relative to the directory the scan reports against. */
  where(node: TS.Node): string {
    const file = node.getSourceFile();
    const { line } = file.getLineAndCharacterOfPosition(node.getStart(file));
    return `${this.#file(file)}:${line + 1}`;
  }

  #file(file: TS.SourceFile): string {
    return path.relative(this.displayRoot, file.fileName).split(path.sep).join('/') || file.fileName;
  }

  /** The attest() call or decorator of the nearest enclosing function that has one. */
  #lexicalAttestation(node: TS.Node, inclusive = false): TS.Node | undefined {
    for (let n: TS.Node | undefined = inclusive ? node : node.parent; n; n = n.parent) {
      if (isFunctionWithBody(this.ts, n)) {
        const by = this.attestations.attestedBy(n);
        if (by) return by;
      }
    }
    return undefined;
  }

  #inside(by: TS.Node): string {
    const ts = this.ts;
    if (ts.isDecorator(by)) {
      const method = by.parent as TS.MethodDeclaration;
      return `method ${method.name.getText()}() has @${calleeText(ts, by.expression)} at ${this.where(by)}`;
    }
    return `inside ${calleeText(ts, (by as TS.CallExpression).expression)} at ${this.where(by)}`;
  }

  /** The code that runs a node: its function, the class whose field it initialises, or its file. */
  #scopeOf(node: TS.Node): Scope {
    const ts = this.ts;
    for (let n = node.parent; ; n = n.parent) {
      if (ts.isSourceFile(n) || isFunctionWithBody(ts, n)) return n;
      if (
        ts.isPropertyDeclaration(n) &&
        ts.isClassLike(n.parent) &&
        !hasModifier(ts, n, ts.SyntaxKind.StaticKeyword)
      ) {
        return n.parent;
      }
    }
  }

  #reach(scope: Scope): Reach {
    const cached = this.#memo.get(scope);
    if (cached) return cached;
    if (this.#inProgress.has(scope)) {
      this.#sawCycle = true;
      return { kind: 'cycle' };
    }
    const outer = this.#sawCycle;
    this.#sawCycle = false;
    this.#inProgress.add(scope);
    const reach = this.#compute(scope);
    this.#inProgress.delete(scope);
    // A result that leaned on a caller still in progress may change once that caller is done.
    if (!this.#sawCycle || reach.kind === 'unattested') this.#memo.set(scope, reach);
    this.#sawCycle ||= outer;
    return reach;
  }

  #compute(scope: Scope): Reach {
    const ts = this.ts;
    if (ts.isSourceFile(scope))
      return { kind: 'unattested', entry: `top level of ${this.#file(scope)}`, via: [] };
    const by = this.#lexicalAttestation(scope, true);
    if (by) return { kind: 'attested', by: this.#inside(by) };
    const named = this.#named(scope);
    if (named === 'inline') return this.#inline(scope as TS.FunctionLikeDeclaration);
    if (named === undefined) {
      return {
        kind: 'unknown',
        reason: `a function used as a value at ${this.where(scope)}, which the scan cannot follow`,
      };
    }
    const exported = this.#exported(named);
    if (exported) return { kind: 'unattested', entry: exported, via: [] };
    return this.#fromCallers(named);
  }

  /** An inline callback (items.map(async (x) => …), new Promise(…), an IIFE) runs as part of its caller. */
  #inline(fn: TS.FunctionLikeDeclaration): Reach {
    const scope = this.#scopeOf(fn);
    // At a file's top level, the callback runs (or is handed over) where it is written.
    if (this.ts.isSourceFile(scope))
      return { kind: 'unattested', entry: `top level of ${this.where(fn)}`, via: [] };
    const outer = this.#reach(scope);
    if (outer.kind !== 'unattested') return outer;
    const line = fn.getSourceFile().getLineAndCharacterOfPosition(fn.getStart()).line + 1;
    return { ...outer, via: [...outer.via, `a callback (line ${line})`] };
  }

  #fromCallers(named: Named): Reach {
    const ts = this.ts;
    let attested: Reach | undefined;
    let unknown: Reach | undefined;
    let cycle = false;
    for (const ref of this.references.to(named.declaration, named.name, named.isDefaultExport)) {
      const use = this.#useOf(ref, named.declaration);
      if (use === 'ignore') continue;
      if (use === 'export') return { kind: 'unattested', entry: this.#exportedAs(named), via: [] };
      if (use === 'attest') {
        attested ??= {
          kind: 'attested',
          by: `passed to ${calleeText(ts, callOf(ts, ref).expression)} at ${this.where(ref)}`,
        };
        continue;
      }
      if (use === 'value') {
        unknown ??= {
          kind: 'unknown',
          reason: `only called through a value the scan cannot follow (${named.label} at ${this.where(ref)})`,
        };
        continue;
      }
      const by = this.#lexicalAttestation(ref);
      if (by) {
        attested ??= { kind: 'attested', by: this.#inside(by) };
        continue;
      }
      const scope = use === 'call' ? this.#scopeOf(ref) : use;
      if (ts.isSourceFile(scope)) {
        return { kind: 'unattested', entry: `top level of ${this.where(ref)}`, via: [named.label] };
      }
      const caller = this.#reach(scope);
      if (caller.kind === 'unattested') return { ...caller, via: [...caller.via, named.label] };
      if (caller.kind === 'attested') attested ??= caller;
      else if (caller.kind === 'unknown') unknown ??= caller;
      else cycle = true;
    }
    if (unknown) return unknown;
    if (attested) return attested;
    if (cycle) return { kind: 'cycle' };
    return {
      kind: 'unknown',
      reason: `${named.label} is never called directly in the scanned files and not exported`,
    };
  }

  /**
   * What a reference does with the function: calls it, exports it, hands it to attest(), extends
   * its class (a subclass's construction runs it: returned as that class), or passes it as a value.
   */
  #useOf(
    ref: TS.MemberName,
    declaration: TS.Declaration,
  ): 'call' | 'export' | 'attest' | 'value' | 'ignore' | Scope {
    const ts = this.ts;
    const parent = ref.parent;
    if (ts.isImportSpecifier(parent) || ts.isImportClause(parent) || ts.isNamespaceImport(parent))
      return 'ignore';
    if (ts.isTypeReferenceNode(parent) || ts.isTypeQueryNode(parent) || ts.isQualifiedName(parent))
      return 'ignore';
    if (this.#isExportUse(ref)) return 'export';
    if (ts.isExpressionWithTypeArguments(parent) && ts.isHeritageClause(parent.parent)) {
      if (parent.parent.token !== ts.SyntaxKind.ExtendsKeyword) return 'ignore';
      const cls = parent.parent.parent;
      return ts.isClassLike(cls) ? cls : 'ignore';
    }
    let e: TS.Node = ref;
    if (ts.isPropertyAccessExpression(parent) && parent.name === ref) e = parent;
    while (ts.isParenthesizedExpression(e.parent) || ts.isNonNullExpression(e.parent)) e = e.parent;
    const user = e.parent;
    if ((ts.isCallExpression(user) || ts.isNewExpression(user)) && user.expression === e) return 'call';
    if (ts.isTaggedTemplateExpression(user) && user.tag === e) return 'call';
    // f.call(this, …), f.apply(this, …)
    if (
      ts.isPropertyAccessExpression(user) &&
      user.expression === e &&
      ['call', 'apply'].includes(user.name.text)
    ) {
      if (ts.isCallExpression(user.parent) && user.parent.expression === user) return 'call';
    }
    if (ts.isGetAccessorDeclaration(declaration) || ts.isSetAccessorDeclaration(declaration)) return 'call';
    if (
      ts.isCallExpression(user) &&
      user.arguments.includes(e as TS.Expression) &&
      this.attestations.isAttestingCall(user)
    ) {
      return 'attest';
    }
    return 'value';
  }

  /** `export { f }`, `export default f`, `module.exports = { f }`, `exports.f = f`. */
  #isExportUse(ref: TS.MemberName): boolean {
    const ts = this.ts;
    const parent = ref.parent;
    if (ts.isExportSpecifier(parent) || ts.isExportAssignment(parent)) return true;
    let e: TS.Node = ref;
    for (;;) {
      const p = e.parent;
      if (ts.isShorthandPropertyAssignment(p) || (ts.isPropertyAssignment(p) && p.initializer === e))
        e = p.parent;
      else if (ts.isParenthesizedExpression(p) || ts.isObjectLiteralExpression(p)) e = p;
      else break;
    }
    const p = e.parent;
    return (
      ts.isBinaryExpression(p) &&
      p.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      p.right === e &&
      isCommonJsExport(ts, p.left)
    );
  }

  /** The declaration a function's callers name, 'inline' for a callback, undefined for a bare value. */
  #named(scope: Exclude<Scope, TS.SourceFile>): Named | 'inline' | undefined {
    const ts = this.ts;
    if (ts.isClassLike(scope) || ts.isConstructorDeclaration(scope)) {
      const cls = ts.isClassLike(scope) ? scope : scope.parent;
      const name = cls.name?.text ?? 'class';
      return { declaration: cls, name, label: `new ${name}()`, isDefaultExport: isDefault(ts, cls) };
    }
    if (ts.isFunctionDeclaration(scope)) {
      const name = scope.name?.text ?? 'default';
      return { declaration: scope, name, label: `${name}()`, isDefaultExport: isDefault(ts, scope) };
    }
    if (
      ts.isMethodDeclaration(scope) ||
      ts.isGetAccessorDeclaration(scope) ||
      ts.isSetAccessorDeclaration(scope)
    ) {
      const name = scope.name.getText();
      const owner = ts.isClassLike(scope.parent) && scope.parent.name ? `${scope.parent.name.text}.` : '';
      return { declaration: scope, name, label: `${owner}${name}()`, isDefaultExport: false };
    }
    // A function expression: named by what holds it, or run by the call it is given to.
    let e: TS.Node = scope;
    while (
      ts.isParenthesizedExpression(e.parent) ||
      ts.isAsExpression(e.parent) ||
      ts.isSatisfiesExpression(e.parent)
    ) {
      e = e.parent;
    }
    const holder = e.parent;
    if (
      (ts.isVariableDeclaration(holder) ||
        ts.isPropertyAssignment(holder) ||
        ts.isPropertyDeclaration(holder)) &&
      holder.initializer === e &&
      (ts.isIdentifier(holder.name) || ts.isPrivateIdentifier(holder.name))
    ) {
      const name = holder.name.text;
      return { declaration: holder, name, label: `${name}()`, isDefaultExport: false };
    }
    if (ts.isExportAssignment(holder)) {
      return { declaration: holder, name: 'default', label: 'default export', isDefaultExport: true };
    }
    if (ts.isBinaryExpression(holder) && holder.right === e && isCommonJsExport(ts, holder.left)) {
      return {
        declaration: holder,
        name: holder.left.getText(),
        label: `${holder.left.getText()}()`,
        isDefaultExport: false,
      };
    }
    if (
      (ts.isCallExpression(holder) || ts.isNewExpression(holder)) &&
      (holder.expression === e || holder.arguments?.includes(e as TS.Expression))
    ) {
      return 'inline';
    }
    return undefined;
  }

  /** `exported function f()`, `exported method C.m()`, `exported class C`, `the default export`. */
  #exportedAs(named: Named): string {
    const ts = this.ts;
    const decl = named.declaration;
    if (ts.isClassLike(decl)) return `exported class ${named.name}`;
    if (ts.isExportAssignment(decl)) return 'the default export';
    const member =
      ts.isMethodDeclaration(decl) ||
      ts.isGetAccessorDeclaration(decl) ||
      ts.isSetAccessorDeclaration(decl) ||
      ts.isPropertyAssignment(decl) ||
      ts.isPropertyDeclaration(decl);
    return `exported ${member ? 'method' : 'function'} ${named.label}`;
  }

  /** How an exported API reaches the function: `exported function handle()`, or undefined. */
  #exported(named: Named): string | undefined {
    const ts = this.ts;
    const decl = named.declaration;
    if (ts.isExportAssignment(decl) || ts.isBinaryExpression(decl)) return this.#exportedAs(named);
    if (ts.isFunctionDeclaration(decl) && isExportedStatement(ts, decl)) return this.#exportedAs(named);
    if (ts.isVariableDeclaration(decl)) {
      const statement = decl.parent.parent;
      return ts.isVariableStatement(statement) && isExportedStatement(ts, statement)
        ? this.#exportedAs(named)
        : undefined;
    }
    if (ts.isClassLike(decl)) return this.#classExported(decl) ? this.#exportedAs(named) : undefined;
    const owner = decl.parent;
    if (ts.isClassLike(owner)) {
      const name = (decl as { name?: TS.Node }).name;
      const hidden =
        hasModifier(ts, decl, ts.SyntaxKind.PrivateKeyword) ||
        hasModifier(ts, decl, ts.SyntaxKind.ProtectedKeyword) ||
        (name !== undefined && ts.isPrivateIdentifier(name));
      return !hidden && this.#classExported(owner) ? this.#exportedAs(named) : undefined;
    }
    const exported = ts.isObjectLiteralExpression(owner) && this.#objectExported(owner);
    return exported ? this.#exportedAs(named) : undefined;
  }

  #classExported(cls: TS.ClassLikeDeclaration): boolean {
    let exported = this.#exportedClasses.get(cls);
    if (exported === undefined) {
      exported =
        isExportedStatement(this.ts, cls) ||
        (cls.name !== undefined &&
          this.references
            .to(cls, cls.name.text, isDefault(this.ts, cls))
            .some((ref) => this.#isExportUse(ref)));
      this.#exportedClasses.set(cls, exported);
    }
    return exported;
  }

  /** An object literal that is (part of) an exported const, the default export or module.exports. */
  #objectExported(object: TS.ObjectLiteralExpression): boolean {
    const ts = this.ts;
    let e: TS.Node = object;
    for (;;) {
      const p = e.parent;
      if (ts.isPropertyAssignment(p) && p.initializer === e) e = p.parent;
      else if (ts.isParenthesizedExpression(p) || ts.isAsExpression(p) || ts.isSatisfiesExpression(p)) e = p;
      else break;
    }
    const p = e.parent;
    if (ts.isExportAssignment(p)) return true;
    if (ts.isBinaryExpression(p) && p.right === e) return isCommonJsExport(ts, p.left);
    if (ts.isVariableDeclaration(p) && p.initializer === e) {
      const statement = p.parent.parent;
      if (ts.isVariableStatement(statement) && isExportedStatement(ts, statement)) return true;
      return (
        ts.isIdentifier(p.name) && this.references.to(p, p.name.text).some((ref) => this.#isExportUse(ref))
      );
    }
    return false;
  }
}

function unattestedReason(reach: { entry: string; via: string[] }): string {
  if (reach.via.length === 0) {
    return reach.entry.startsWith('top level of ') ? `at ${reach.entry}` : `${reach.entry} reaches it`;
  }
  return `${reach.entry} reaches it via ${reach.via.join(' → ')}`;
}

function isExportedStatement(ts: TypeScript, node: TS.Node): boolean {
  return (
    hasModifier(ts, node, ts.SyntaxKind.ExportKeyword) &&
    (ts.isSourceFile(node.parent) || ts.isModuleBlock(node.parent))
  );
}

function isDefault(ts: TypeScript, node: TS.Node): boolean {
  return hasModifier(ts, node, ts.SyntaxKind.DefaultKeyword);
}

/** `attest()`, `mima.wrap()`, `mima.attest()` for `mima.attest()(fn)`. */
function calleeText(ts: TypeScript, callee: TS.Expression): string {
  const e = skipOuter(ts, callee);
  if (ts.isCallExpression(e)) return calleeText(ts, e.expression);
  return `${e.getText().replace(/\s+/g, '')}()`;
}

function callOf(ts: TypeScript, node: TS.Node): TS.CallExpression {
  let n = node;
  while (!ts.isCallExpression(n.parent)) n = n.parent;
  return n.parent;
}
