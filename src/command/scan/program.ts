import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as TS from 'typescript';
import { UsageError } from '../cli/args';
import { commonJsRequireHost } from './commonjs-require';
import type { TypeScript } from './typescript';

/** The files the scan reads: what the guard's users write code in. */
export const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];

export interface ScanProgram {
  program: TS.Program;
  checker: TS.TypeChecker;
  /** The scanned files (absolute paths), the ones call sites are reported in. */
  files: Set<string>;
  /** The tsconfig.json (or jsconfig.json) used, if any. */
  tsconfig?: string;
}

/**
 * Where the scan starts looking for tsconfig.json and typescript: the first path, walking up
 * to the nearest directory with a tsconfig.json, jsconfig.json or package.json (the project's root).
 */
export function projectRoot(first: string): string {
  let dir = fs.statSync(first).isDirectory() ? first : path.dirname(first);
  for (;;) {
    if (['tsconfig.json', 'jsconfig.json', 'package.json'].some((f) => fs.existsSync(path.join(dir, f)))) {
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) return fs.statSync(first).isDirectory() ? first : path.dirname(first);
    dir = parent;
  }
}

/** Every path must exist: a typo must not turn into a clean scan of nothing. */
export function checkPaths(paths: readonly string[]): void {
  for (const p of paths) {
    if (!fs.existsSync(p)) {
      throw new UsageError(
        `mima-guard scan: no such file or directory ${JSON.stringify(p)}; ` +
          `give files or directories with ${SOURCE_EXTENSIONS.join(', ')} sources`,
      );
    }
  }
}

/**
 * The project's compiler options when it has a tsconfig.json, or a JavaScript project's
 * jsconfig.json (so `paths`, `baseUrl` and module resolution match its build), else defaults that
 * resolve both `import` and `require()` the way a bundler or Node does. JavaScript is always read
 * (allowJs) but never checked (checkJs off): the scan only asks the checker about a few expressions
 * and never wants diagnostics.
 */
export function compilerOptions(
  ts: TypeScript,
  root: string,
): { options: TS.CompilerOptions; tsconfig?: string } {
  const tsconfig = ['tsconfig.json', 'jsconfig.json']
    .map((name) => path.join(root, name))
    .find((file) => fs.existsSync(file));
  let options: TS.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.Preserve,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    esModuleInterop: true,
    jsx: ts.JsxEmit.Preserve,
    // No DOM lib and no automatic @types: a third of a second each, and the scan never needs
    // them (an SDK's fetch types, had they resolved, would not change which method a call is).
    lib: ['lib.es2023.d.ts'],
    types: [],
  };
  let found: string | undefined;
  if (tsconfig) {
    const read = ts.readConfigFile(tsconfig, (file) => ts.sys.readFile(file));
    if (!read.error) {
      options = ts.parseJsonConfigFileContent(read.config, ts.sys, root, undefined, tsconfig).options;
      found = tsconfig;
    }
  }
  return {
    options: {
      ...options,
      allowJs: true,
      checkJs: false,
      noEmit: true,
      skipLibCheck: true,
      // Declaration output settings do not matter to a scan and some combinations are refused.
      declaration: false,
      composite: false,
      incremental: false,
    },
    tsconfig: found,
  };
}

/** The source files under the paths, without node_modules, hidden directories and the build output. */
export function findSourceFiles(paths: readonly string[], skipDirs: readonly string[]): string[] {
  const out: string[] = [];
  const skip = new Set(skipDirs.map((dir) => path.resolve(dir)));
  const visit = (p: string, explicit: boolean) => {
    const stat = fs.statSync(p);
    if (stat.isDirectory()) {
      const base = path.basename(p);
      if (!explicit && (base === 'node_modules' || base.startsWith('.') || skip.has(p))) return;
      for (const name of fs.readdirSync(p).sort()) visit(path.join(p, name), false);
    } else if (isSource(p)) {
      out.push(p);
    }
  };
  for (const p of paths) visit(path.resolve(p), true);
  return [...new Set(out)];
}

function isSource(file: string): boolean {
  if (/\.d\.[mc]?ts$/.test(file)) return false;
  return SOURCE_EXTENSIONS.includes(path.extname(file));
}

/** `isSdkFile`: whether a declaration file belongs to an SDK package (its require() is retyped). */
export function buildProgram(
  ts: TypeScript,
  paths: readonly string[],
  isSdkFile: (fileName: string) => boolean,
): ScanProgram {
  const root = projectRoot(path.resolve(paths[0]));
  const { options, tsconfig } = compilerOptions(ts, root);
  const skipDirs = [options.outDir, options.declarationDir].filter((dir): dir is string => Boolean(dir));
  const files = findSourceFiles(paths, skipDirs);
  const host = commonJsRequireHost(ts, options, isSdkFile);
  const program = ts.createProgram({ rootNames: files, options, host });
  return {
    program,
    checker: program.getTypeChecker(),
    files: new Set(files.map((file) => path.normalize(file))),
    tsconfig,
  };
}
