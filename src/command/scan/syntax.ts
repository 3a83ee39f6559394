import type * as TS from 'typescript';
import type { TypeScript } from './typescript';

/** The expression inside parentheses, `as`, `satisfies`, `!` and type assertions. */
export function skipOuter(ts: TypeScript, node: TS.Expression): TS.Expression {
  let e = node;
  while (
    ts.isParenthesizedExpression(e) ||
    ts.isAsExpression(e) ||
    ts.isSatisfiesExpression(e) ||
    ts.isNonNullExpression(e) ||
    ts.isTypeAssertionExpression(e)
  ) {
    e = e.expression;
  }
  return e;
}

/** The identifier that names what a call calls: `f` in f(), `create` in a.b.create(), a['create'](). */
export function calleeName(
  ts: TypeScript,
  callee: TS.Expression,
): TS.Identifier | TS.PrivateIdentifier | undefined {
  const e = skipOuter(ts, callee);
  if (ts.isIdentifier(e)) return e;
  if (ts.isPropertyAccessExpression(e)) return e.name;
  return undefined;
}

/** A function with a body: what runs when something calls it. */
export function isFunctionWithBody(ts: TypeScript, node: TS.Node): node is TS.FunctionLikeDeclaration {
  return (
    (ts.isFunctionDeclaration(node) ||
      ts.isMethodDeclaration(node) ||
      ts.isConstructorDeclaration(node) ||
      ts.isGetAccessorDeclaration(node) ||
      ts.isSetAccessorDeclaration(node) ||
      ts.isFunctionExpression(node) ||
      ts.isArrowFunction(node)) &&
    node.body !== undefined
  );
}

export function hasModifier(ts: TypeScript, node: TS.Node, kind: TS.SyntaxKind): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node)?.some((m) => m.kind === kind) ?? false);
}

/** `module.exports`, `module.exports.x`, `exports.x`: CommonJS exports in a .js/.cjs file. */
export function isCommonJsExport(ts: TypeScript, node: TS.Expression): boolean {
  const e = skipOuter(ts, node);
  if (!ts.isPropertyAccessExpression(e)) return false;
  const target = skipOuter(ts, e.expression);
  if (ts.isIdentifier(target)) {
    return target.text === 'exports' || (target.text === 'module' && e.name.text === 'exports');
  }
  return isCommonJsExport(ts, target);
}
