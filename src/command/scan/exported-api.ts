import type * as TS from 'typescript';
import type { References } from './references';
import { hasModifier, isCommonJsExport } from './syntax';
import type { TypeScript } from './typescript';
import type { Scope } from './verdict';

/** What a function is known by in the code: the declaration its callers resolve to, and its name. */
export interface Named {
  declaration: TS.Declaration;
  name: string;
  label: string;
  isDefaultExport: boolean;
}

/**
 * What the scanned code exports: the name a function's callers know it by, and whether an
 * exported API (an export statement, the default export, module.exports / exports.x, an exported
 * class's public members, an exported object's properties) reaches it.
 */
export class ExportedApi {
  private readonly exportedClasses = new Map<TS.ClassLikeDeclaration, boolean>();

  constructor(
    private readonly ts: TypeScript,
    private readonly references: References,
  ) {}

  /** `export { f }`, `export default f`, `module.exports = { f }`, `exports.f = f`. */
  isExportUse(ref: TS.MemberName): boolean {
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
  named(scope: Exclude<Scope, TS.SourceFile>): Named | 'inline' | undefined {
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
  exportedAs(named: Named): string {
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
  exported(named: Named): string | undefined {
    const ts = this.ts;
    const decl = named.declaration;
    if (ts.isExportAssignment(decl) || ts.isBinaryExpression(decl)) return this.exportedAs(named);
    if (ts.isFunctionDeclaration(decl) && isExportedStatement(ts, decl)) return this.exportedAs(named);
    if (ts.isVariableDeclaration(decl)) {
      const statement = decl.parent.parent;
      return ts.isVariableStatement(statement) && isExportedStatement(ts, statement)
        ? this.exportedAs(named)
        : undefined;
    }
    if (ts.isClassLike(decl)) return this.classExported(decl) ? this.exportedAs(named) : undefined;
    const owner = decl.parent;
    if (ts.isClassLike(owner)) {
      const name = (decl as { name?: TS.Node }).name;
      const hidden =
        hasModifier(ts, decl, ts.SyntaxKind.PrivateKeyword) ||
        hasModifier(ts, decl, ts.SyntaxKind.ProtectedKeyword) ||
        (name !== undefined && ts.isPrivateIdentifier(name));
      return !hidden && this.classExported(owner) ? this.exportedAs(named) : undefined;
    }
    const exported = ts.isObjectLiteralExpression(owner) && this.objectExported(owner);
    return exported ? this.exportedAs(named) : undefined;
  }

  private classExported(cls: TS.ClassLikeDeclaration): boolean {
    let exported = this.exportedClasses.get(cls);
    if (exported === undefined) {
      exported =
        isExportedStatement(this.ts, cls) ||
        (cls.name !== undefined &&
          this.references
            .to(cls, cls.name.text, isDefault(this.ts, cls))
            .some((ref) => this.isExportUse(ref)));
      this.exportedClasses.set(cls, exported);
    }
    return exported;
  }

  /** An object literal that is (part of) an exported const, the default export or module.exports. */
  private objectExported(object: TS.ObjectLiteralExpression): boolean {
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
        ts.isIdentifier(p.name) && this.references.to(p, p.name.text).some((ref) => this.isExportUse(ref))
      );
    }
    return false;
  }
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
