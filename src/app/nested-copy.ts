import * as path from 'node:path';
import type { SdkDefinition } from './sdks/definition';

/**
 * The directory of the package the instrumentation base class is hooking right now: it reads the
 * package's version from there just before it calls the patch hook.
 */
let hookedDirectory: string | undefined;

export function noteHookedDirectory(baseDir: string): void {
  hookedDirectory = baseDir;
}

/**
 * The patched SDK that holds this copy of `module` in its own node_modules and covers its inner
 * calls (litellm's @anthropic-ai/sdk 0.6 and cohere-ai 6), or undefined. Only that SDK uses such a
 * copy, and its calls are checked at that SDK's own patch point, so an unsupported version of the
 * copy is no blind spot.
 */
export function coveringSdk(module: string, definitions: readonly SdkDefinition[]): string | undefined {
  const dir = hookedDirectory;
  if (!dir || !dir.endsWith(`${path.sep}${module.split('/').join(path.sep)}`)) return undefined;
  return definitions.find(
    (outer) =>
      outer.coversInnerCalls &&
      dir.includes(
        `${path.sep}node_modules${path.sep}${outer.module.split('/').join(path.sep)}${path.sep}node_modules${path.sep}`,
      ),
  )?.module;
}
