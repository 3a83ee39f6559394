import * as path from 'node:path';
import type * as TS from 'typescript';
import type { Attestations } from './attestation';
import type { SdkCall } from './call-sites';
import type { References } from './references';
import { ExportedApi, type Named } from './exported-api';
import { hasModifier, isFunctionWithBody, skipOuter } from './syntax';
import type { TypeScript } from './typescript';

export type Verdict = 'attested' | 'unattested' | 'unknown';

export interface Finding {
  verdict: Verdict;
  /** One line: why. */
  reason: string;
}

/** What runs code: a file's top level, a function, or a class (its field initializers run in `new`). */
export type Scope = TS.SourceFile | TS.FunctionLikeDeclaration | TS.ClassLikeDeclaration;

/** How a scope can be reached, as far as the scanned files show. */
type Reach =
  | { kind: 'unattested'; entry: string; via: string[] }
  | { kind: 'attested'; by: string }
  | { kind: 'unknown'; reason: string }
  /** A caller still being looked at (recursion): no evidence either way. */
  | { kind: 'cycle' };

/**
 * Classifies each SDK call: attested (lexically inside an attesting function, a decorated method,
 * or through a client from mima.wrap(); or only ever called from attested code), unattested (its
 * function is reachable from a file's top level or from an exported API without passing through
 * an attestation) or unknown (reached only through values the scan cannot follow).
 */
export class Classifier {
  readonly #memo = new Map<Scope, Reach>();
  readonly #inProgress = new Set<Scope>();
  readonly #api: ExportedApi;
  #sawCycle = false;

  constructor(
    private readonly ts: TypeScript,
    private readonly attestations: Attestations,
    private readonly references: References,
    private readonly displayRoot: string,
  ) {
    this.#api = new ExportedApi(ts, references);
  }

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
    const named = this.#api.named(scope);
    if (named === 'inline') return this.#inline(scope as TS.FunctionLikeDeclaration);
    if (named === undefined) {
      return {
        kind: 'unknown',
        reason: `a function used as a value at ${this.where(scope)}, which the scan cannot follow`,
      };
    }
    const exported = this.#api.exported(named);
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
      if (use === 'export') return { kind: 'unattested', entry: this.#api.exportedAs(named), via: [] };
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
    if (this.#api.isExportUse(ref)) return 'export';
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
}

function unattestedReason(reach: { entry: string; via: string[] }): string {
  if (reach.via.length === 0) {
    return reach.entry.startsWith('top level of ') ? `at ${reach.entry}` : `${reach.entry} reaches it`;
  }
  return `${reach.entry} reaches it via ${reach.via.join(' → ')}`;
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
