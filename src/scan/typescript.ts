import type * as TS from 'typescript';
import { UsageError } from '../cli/args';

export type TypeScript = typeof TS;

export const MISSING_TYPESCRIPT =
  'mima-guard scan needs the typescript package: npm install --save-dev typescript';

/**
 * The scanned project's own typescript first (its version understands its code and tsconfig best),
 * then the guard's. Loaded here, on demand, so that the guard and `mima-guard report` never load it:
 * typescript is an optional peer dependency, not a runtime one.
 */
export function loadTypeScript(projectDir: string): TypeScript {
  for (const from of [projectDir, __dirname]) {
    let resolved: string;
    try {
      resolved = require.resolve('typescript', { paths: [from] });
    } catch {
      continue;
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(resolved) as TypeScript;
  }
  throw new UsageError(MISSING_TYPESCRIPT);
}
