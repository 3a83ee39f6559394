import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as TS from 'typescript';
import { UsageError } from '../cli/args';

export type TypeScript = typeof TS;

export const MISSING_TYPESCRIPT =
  'mima-guard scan needs the typescript package: npm install --save-dev typescript';

/**
 * The scanned project's own typescript first (its version understands its code and tsconfig best),
 * then the guard's. Loaded here, on demand, so that the guard and `mima-guard report` never load it:
 * typescript is an optional peer dependency, not a runtime one. A typescript without the compiler's
 * JavaScript API (7.x, the native compiler) is passed over for the next one, and named when no
 * usable one is left.
 */
export function loadTypeScript(projectDir: string): TypeScript {
  const unusable: string[] = [];
  for (const from of [projectDir, __dirname]) {
    let resolved: string;
    try {
      resolved = require.resolve('typescript', { paths: [from] });
    } catch {
      continue;
    }
    let ts: Partial<TypeScript> | undefined;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      ts = require(resolved) as Partial<TypeScript>;
    } catch {
      ts = undefined;
    }
    if (typeof ts?.createProgram === 'function') return ts as TypeScript;
    unusable.push(`${resolved} (version ${installedVersion(resolved)})`);
  }
  if (unusable.length === 0) throw new UsageError(MISSING_TYPESCRIPT);
  throw new UsageError(
    `mima-guard scan needs the TypeScript compiler API, which ${unusable.join(' and ')} does not have; ` +
      'accepted: typescript 5.x or 6.x (npm install --save-dev typescript@6, beside typescript 7 under another name if the project builds with it)',
  );
}

/** The version in the typescript package.json above its entry file. */
function installedVersion(entry: string): string {
  for (let dir = path.dirname(entry); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === 'typescript') return String(pkg.version);
    } catch {
      // no package.json here: go up
    }
  }
  return 'unknown';
}
