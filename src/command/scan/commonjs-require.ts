import type * as TS from 'typescript';
import type { TypeScript } from './typescript';

/** The file a virtual module of this host imports its real module by. */
const REAL_MODULE = '__mima_scan_real_module__';

/**
 * A compiler host under which `require('openai')` (and TypeScript's `import x = require()`) has the
 * shape the SDK gives it at run time. The SDKs are ES modules compiled to CommonJS whose index sets
 * `module.exports` to the default export and copies the named exports onto it, so
 * `const OpenAI = require('openai'); new OpenAI()` works; their types only declare
 * `export default`, so the checker reads the require() as the module namespace, `new` on it as an
 * error, and the client and every call on it as `any`: the scan found nothing there, silently.
 *
 * The host resolves such a require() of an SDK package (`isSdkFile`) to a small virtual declaration
 * file: `export =` of the default export intersected with the namespace (the namespace alone when
 * there is no default), which is what the module object is at run time. The checker then types the
 * default (`new OpenAI()`), namespace (`new openai.OpenAI()`) and destructured forms alike, and its
 * own CommonJS inference (module.exports, this.x = ..., return types) carries the client on. ES
 * imports and the modules of other packages resolve as before. One virtual file per SDK file
 * required, however many files require it.
 */
export function commonJsRequireHost(
  ts: TypeScript,
  options: TS.CompilerOptions,
  isSdkFile: (fileName: string) => boolean,
): TS.CompilerHost {
  const host = ts.createCompilerHost(options);
  const cache = ts.createModuleResolutionCache(
    host.getCurrentDirectory(),
    (file) => host.getCanonicalFileName(file),
    options,
  );
  /** Virtual file name → the resolution of the module it stands for. */
  const virtual = new Map<string, TS.ResolvedModuleFull>();
  /** Real declaration file → its virtual file name. */
  const byReal = new Map<string, string>();
  // The compiler names files with forward slashes on every platform: so do the virtual ones.
  const virtualDir = `${host.getCurrentDirectory().replace(/\\/g, '/').split('/')[0]}/__mima_scan__`;

  const virtualFor = (real: TS.ResolvedModuleFull): string => {
    let name = byReal.get(real.resolvedFileName);
    if (!name) {
      name = `${virtualDir}/require-${byReal.size}.d.ts`;
      byReal.set(real.resolvedFileName, name);
      virtual.set(name, real);
    }
    return name;
  };

  const resolve = (
    literal: TS.StringLiteralLike,
    containingFile: string,
    redirected: TS.ResolvedProjectReference | undefined,
    compilerOptions: TS.CompilerOptions,
    containingSourceFile: TS.SourceFile,
  ): TS.ResolvedModuleWithFailedLookupLocations => {
    const real = virtual.get(containingFile);
    if (real && literal.text === REAL_MODULE) return { resolvedModule: real };
    const mode = ts.getModeForUsageLocation(containingSourceFile, literal, compilerOptions);
    const resolved = ts.resolveModuleName(
      literal.text,
      containingFile,
      compilerOptions,
      host,
      cache,
      redirected,
      mode,
    );
    const found = resolved.resolvedModule;
    if (!found || !isCommonJsRequire(ts, literal) || !isSdkFile(found.resolvedFileName)) return resolved;
    if (!/\.d\.[mc]?ts$/.test(found.resolvedFileName)) return resolved;
    const resolvedFileName = virtualFor(found);
    return {
      resolvedModule: { resolvedFileName, extension: ts.Extension.Dts, isExternalLibraryImport: true },
    };
  };

  host.resolveModuleNameLiterals = (literals, containingFile, redirected, compilerOptions, file) =>
    literals.map((literal) => resolve(literal, containingFile, redirected, compilerOptions, file));
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) =>
    virtual.has(fileName)
      ? ts.createSourceFile(fileName, VIRTUAL_MODULE, languageVersion, false, ts.ScriptKind.TS)
      : getSourceFile(fileName, languageVersion, onError, shouldCreate);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (fileName) => virtual.has(fileName) || fileExists(fileName);
  const readFile = host.readFile.bind(host);
  host.readFile = (fileName) => (virtual.has(fileName) ? VIRTUAL_MODULE : readFile(fileName));
  return host;
}

/** The module object of a CommonJS build whose module.exports is its default export. */
const VIRTUAL_MODULE = `import * as m from '${REAL_MODULE}';
type M = typeof m;
declare const moduleExports: M extends { default: infer D } ? D & M : M;
export = moduleExports;
`;

/** `require('x')` in JavaScript or `import x = require('x')` in TypeScript: Node's require. */
function isCommonJsRequire(ts: TypeScript, literal: TS.StringLiteralLike): boolean {
  const parent = literal.parent;
  if (ts.isExternalModuleReference(parent)) return true;
  return (
    ts.isCallExpression(parent) &&
    ts.isIdentifier(parent.expression) &&
    parent.expression.text === 'require' &&
    parent.arguments.length === 1
  );
}
