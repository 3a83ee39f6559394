import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as TS from 'typescript';
import { UsageError } from '../cli/args';

export type TypeScript = typeof TS;

/** How to run the scan with a compiler API of its own, leaving the project's packages as they are. */
const OWN_COMPILER = 'npx -p typescript@6 -p @mima-governance/instrumentation-guard mima-guard scan';

export const MISSING_TYPESCRIPT =
  'mima-guard scan needs the TypeScript compiler API: npm install --save-dev typescript@6, ' +
  `or run it with its own: ${OWN_COMPILER}`;

/**
 * Where the compiler API can be: the typescript package (5.x, 6.x), or, beside typescript 7 (the
 * native compiler, whose package has no JavaScript API), the 6.x API its team publishes under
 * another name. Not advised into the project: npm links its typescript 6 alias's `tsc` over 7's.
 */
const COMPILER_PACKAGES = ['typescript', '@typescript/typescript6'];

/**
 * The scanned project's own typescript first (its version understands its code and tsconfig best),
 * then the guard's. Loaded here, on demand, so that the guard and `mima-guard report` never load it:
 * typescript is an optional peer dependency, not a runtime one. A typescript without the compiler's
 * JavaScript API (7.x, the native compiler) is passed over for the next one, and named when no
 * usable one is left.
 */
export function loadTypeScript(projectDir: string): TypeScript {
  const unusable: string[] = [];
  const tried = new Set<string>();
  for (const from of [projectDir, __dirname])
    for (const name of COMPILER_PACKAGES) {
      let resolved: string;
      try {
        resolved = require.resolve(name, { paths: [from] });
      } catch {
        continue;
      }
      if (tried.has(resolved)) continue; // the project's copy is also the guard's
      tried.add(resolved);
      const ts = usable(resolved);
      if (ts) return ts;
      unusable.push(`${resolved} (version ${installedVersion(resolved, name)})`);
    }
  if (unusable.length === 0) throw new UsageError(MISSING_TYPESCRIPT);
  throw new UsageError(
    `mima-guard scan needs the TypeScript compiler API, which ${unusable.join(' and ')} does not have; ` +
      'accepted: typescript 5.x or 6.x, or @typescript/typescript6; in a project that builds with ' +
      `typescript 7, run the scan with its own: ${OWN_COMPILER}`,
  );
}

/** The module at `resolved` if it has the compiler API (typescript 7's package has none). */
function usable(resolved: string): TypeScript | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ts = require(resolved) as Partial<TypeScript>;
    return typeof ts?.createProgram === 'function' ? (ts as TypeScript) : undefined;
  } catch {
    return undefined;
  }
}

/** The version in the package.json named `name` above its entry file. */
function installedVersion(entry: string, name: string): string {
  for (let dir = path.dirname(entry); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === name) return String(pkg.version);
    } catch {
      // no package.json here: go up
    }
  }
  return 'unknown';
}
