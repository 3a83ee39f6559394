import type * as TS from 'typescript';
import { classChain, type ApiMember, type ApiTable } from './api-table';
import { calleeName, skipOuter } from './syntax';
import type { TypeScript } from './typescript';

/** A call in the scanned code that reaches a patched SDK chokepoint. */
export interface SdkCall {
  node: TS.CallExpression;
  member: ApiMember;
  /** Named like the runtime's records where the code shows it: `openai.OpenAI.chat`, `ai.generateText`. */
  callSite: string;
  /** The expression that holds the SDK client (`this.client` in this.client.messages.create()). */
  client?: TS.Expression;
  /** The callee as written, on one line. */
  expression: string;
}

/** How far down a.b.c.d.create() to look for the client: resources nest three deep at most. */
const MAX_CHAIN = 6;

/**
 * Finds the SDK calls of the scanned files. A call is only shown to the type checker when the name
 * it calls is one the SDK table can match (or an import renamed from one), so most of the project's
 * calls cost one Set lookup; the checker then decides by the declaration the call resolves to.
 */
export function findSdkCalls(
  ts: TypeScript,
  checker: TS.TypeChecker,
  table: ApiTable,
  files: readonly TS.SourceFile[],
): SdkCall[] {
  const renamed = renamedExports(ts, files, table.names);
  const calls: SdkCall[] = [];
  for (const file of files) {
    const names = localNames(ts, file, table.names, renamed);
    const visit = (node: TS.Node): void => {
      if (ts.isCallExpression(node)) {
        const name = calleeName(ts, node.expression);
        if (name && names.has(name.text)) {
          const call = matchCall(ts, checker, table, node, name);
          if (call) calls.push(call);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  return calls;
}

/** `export { generateText as gen }` anywhere in the project: `gen` is worth a look everywhere. */
function renamedExports(ts: TypeScript, files: readonly TS.SourceFile[], names: Set<string>): Set<string> {
  const out = new Set<string>();
  for (const file of files) {
    for (const statement of file.statements) {
      if (!ts.isExportDeclaration(statement) || !statement.exportClause) continue;
      if (!ts.isNamedExports(statement.exportClause)) continue;
      for (const spec of statement.exportClause.elements) {
        if (spec.propertyName && names.has(spec.propertyName.text)) out.add(spec.name.text);
      }
    }
  }
  return out;
}

/** The table's names plus this file's renamed imports and destructurings of them. */
function localNames(
  ts: TypeScript,
  file: TS.SourceFile,
  names: Set<string>,
  renamed: Set<string>,
): Set<string> {
  const local = new Set<string>();
  const known = (name: string) => names.has(name) || renamed.has(name);
  const visit = (node: TS.Node): void => {
    if (ts.isImportSpecifier(node) && node.propertyName && known(node.propertyName.text)) {
      local.add(node.name.text);
    } else if (
      ts.isBindingElement(node) &&
      node.propertyName &&
      ts.isIdentifier(node.propertyName) &&
      ts.isIdentifier(node.name) &&
      known(node.propertyName.text)
    ) {
      local.add(node.name.text);
    }
    ts.forEachChild(node, visit);
  };
  // Renames only appear in import and variable statements; skipping the rest keeps this cheap.
  for (const statement of file.statements) {
    if (ts.isImportDeclaration(statement) || ts.isVariableStatement(statement)) visit(statement);
  }
  if (local.size === 0 && renamed.size === 0) return names;
  return new Set([...names, ...renamed, ...local]);
}

function matchCall(
  ts: TypeScript,
  checker: TS.TypeChecker,
  table: ApiTable,
  call: TS.CallExpression,
  name: TS.Identifier | TS.PrivateIdentifier,
): SdkCall | undefined {
  const member = resolveMember(ts, checker, table, call, name);
  if (!member) return undefined;
  const callee = skipOuter(ts, call.expression);
  const expression = callee.getText().replace(/\s+/g, '');
  if (member.kind === 'function') {
    return { node: call, member, callSite: `${member.sdk.userApi.prefix}.${member.name}`, expression };
  }
  const client = ts.isPropertyAccessExpression(callee) ? findClient(ts, checker, member, callee) : undefined;
  const prefix = member.sdk.userApi.prefix;
  const callSite = client
    ? `${prefix}.${client.className}.${client.resource}`
    : `${prefix}.${member.className}.${member.name}`;
  return { node: call, member, callSite, client: client?.expression, expression };
}

/** The table entry a call reaches: by the declaration its callee resolves to, else by its type. */
function resolveMember(
  ts: TypeScript,
  checker: TS.TypeChecker,
  table: ApiTable,
  call: TS.CallExpression,
  name: TS.Identifier | TS.PrivateIdentifier,
): ApiMember | undefined {
  let symbol = checker.getSymbolAtLocation(name);
  let exportName: string | undefined;
  if (symbol && symbol.flags & ts.SymbolFlags.Alias) {
    const alias = symbol.declarations?.[0];
    if (alias && ts.isImportSpecifier(alias)) exportName = (alias.propertyName ?? alias.name).text;
    symbol = checker.getAliasedSymbol(symbol);
  }
  for (const declaration of symbol?.declarations ?? []) {
    const member = table.match(
      declaration,
      exportName ?? (ts.isPropertyAccessExpression(name.parent) ? name.text : undefined),
    );
    if (member) return member;
  }
  // A function reached through a local binding (const { completion } = require('litellm'),
  // const gen = generateText): the callee's type is the SDK function's.
  const callee = skipOuter(ts, call.expression);
  if (ts.isIdentifier(callee)) {
    const typeSymbol = checker.getTypeAtLocation(callee).getSymbol();
    for (const declaration of typeSymbol?.declarations ?? []) {
      const member = table.match(declaration, name.text);
      if (member) return member;
    }
  }
  if (ts.isPropertyAccessExpression(callee))
    return table.matchReceiver(checker, callee.expression, name.text);
  return undefined;
}

/**
 * The client a method call goes through, nearest first down the property chain: its class (the
 * first of the table's client classes the type is or extends) and the property read from it.
 */
function findClient(
  ts: TypeScript,
  checker: TS.TypeChecker,
  member: ApiMember,
  callee: TS.PropertyAccessExpression,
): { expression: TS.Expression; className: string; resource: string } | undefined {
  const clients = member.sdk.userApi.clients;
  if (clients.length === 0) return undefined;
  let above: TS.PropertyAccessExpression = callee;
  for (let depth = 0; depth < MAX_CHAIN; depth++) {
    const expression = skipOuter(ts, above.expression);
    const names = new Set(classChain(ts, checker, checker.getTypeAtLocation(expression)).map((s) => s.name));
    const className = clients.find((client) => names.has(client));
    if (className) return { expression, className, resource: above.name.text };
    if (!ts.isPropertyAccessExpression(expression)) return undefined;
    above = expression;
  }
  return undefined;
}
