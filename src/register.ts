/**
 * One-line set-up for ES module (and CommonJS) apps:
 *   node --import @mima-governance/instrumentation-guard/register app.mjs
 * Registers the import-in-the-middle loader for the SDK files the guard patches only (other
 * modules load untouched, so start-up stays fast), then enables the guard from the
 * environment (MIMA_GUARD_MODE, MIMA_GUARD_LOG_FILE, ...).
 */
import * as nodeModule from 'node:module';
import { pathToFileURL } from 'node:url';
import { enableGuard } from './enable';
import { SDK_DEFINITIONS } from './sdks';

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** The SDK entry points (bare specifiers) and the files holding their patch points. */
export function loaderIncludeList(): Array<string | RegExp> {
  return SDK_DEFINITIONS.flatMap((definition) => [
    definition.module,
    ...definition.patchPoints.flatMap((point) =>
      point.files.map((file) => new RegExp(`/node_modules/${escape(definition.module)}/${escape(file)}$`)),
    ),
  ]);
}

nodeModule.register('@opentelemetry/instrumentation/hook.mjs', pathToFileURL(__filename), {
  data: { include: loaderIncludeList() },
});

enableGuard();
