import {
  InstrumentationNodeModuleDefinition,
  InstrumentationNodeModuleFile,
} from '@opentelemetry/instrumentation';
import { coveringSdk } from './nested-copy';
import { allPatches, patchMethod } from './patch';
import { guardLog } from './safe-log';
import { noteManualSdkDirectory } from './sdk-directory';
import { addStatus, hasStatusFor } from './sdk-status';
import { SDK_DEFINITIONS } from './sdks';
import type { PatchPoint, PatchTarget, SdkDefinition } from './sdks/definition';
import { noteCallersIn } from './sdks/noted-caller';
import { setImmediate } from './sinks/node-timers';
import { isValidVersion, satisfiesRange } from './version-range';
import { warnGuardProblem } from './warnings';

/** The stable code of a patch problem, by the sentence patchTargets and checkVersion start it with. */
function patchProblemCode(problem: string): string {
  if (problem.includes('outside the versions the guard supports')) return 'MIMA_GUARD_SDK_UNSUPPORTED';
  if (problem.startsWith('cannot patch')) return 'MIMA_GUARD_PATCH_FAILED';
  return 'MIMA_GUARD_PATCH_POINT_MISSING';
}

/**
 * A version or layout the guard cannot patch: its calls are not checked, said on stderr once per
 * problem (the sentence names package, version and patch point), so each SDK affected is named.
 */
function warnPatchProblem(problem: string): void {
  warnGuardProblem(patchProblemCode(problem), problem, problem);
}

/** config.modules with each SDK's definition; throws naming an SDK the guard does not know. */
export function manualModuleDefinitions(modules: Record<string, unknown>): Array<[SdkDefinition, unknown]> {
  return Object.entries(modules).map(([name, moduleExports]) => {
    const definition = SDK_DEFINITIONS.find((d) => d.module === name);
    if (!definition) {
      throw new TypeError(
        `Mima guard option modules has unknown SDK "${name}"; accepted: ${SDK_DEFINITIONS.map((d) => d.module).join(', ')}`,
      );
    }
    return [definition, moduleExports];
  });
}

/**
 * What each SDK definition becomes: the module hooks of the instrumentation (its entry and its
 * patch-point files), the patches they apply, the version checks and their warnings, and the
 * patching of module objects the app hands over (config.modules).
 */
export class SdkPatcher {
  /** `isEnabled`: a deferred check is dropped once the instrumentation is disabled. */
  constructor(private readonly isEnabled: () => boolean) {}

  moduleDefinition(definition: SdkDefinition): InstrumentationNodeModuleDefinition {
    const files = definition.patchPoints.flatMap((point) =>
      point.files.map(
        (file) =>
          new InstrumentationNodeModuleFile(
            `${definition.module}/${file}`,
            [point.versions],
            (exports: unknown, version?: string) => {
              this.patchExports(definition, point, file, exports, version ?? 'unknown');
              return exports;
            },
            // Unpatching is done for all copies at once in disable().
            (exports: unknown) => exports,
          ),
      ),
    );
    const entryFiles = (definition.callerEntries ?? []).flatMap((entries) =>
      entries.files.map(
        (file) =>
          new InstrumentationNodeModuleFile(
            `${definition.module}/${file}`,
            [entries.versions],
            (exports: unknown) => {
              noteCallersIn(definition, entries, exports);
              return exports;
            },
            (exports: unknown) => exports,
          ),
      ),
    );
    return new InstrumentationNodeModuleDefinition(
      definition.module,
      ['*'],
      (exports: unknown, version?: string) => {
        for (const entries of definition.callerEntries ?? []) {
          if (entries.inEntryModule && satisfiesRange(version ?? 'unknown', entries.versions)) {
            noteCallersIn(definition, entries, exports);
          }
        }
        const entry = this.patchEntryModule(definition, exports, version ?? 'unknown');
        this.checkVersion(definition, version ?? 'unknown');
        return entry;
      },
      undefined,
      [...files, ...entryFiles],
    );
  }

  /**
   * Patch points marked inEntryModule, in the entry's exports; targets already patched from a file are left to it.
   * Returns what the app gets: the exports, or the stand-in a point's replaceExports made for them.
   */
  private patchEntryModule(definition: SdkDefinition, exports: unknown, version: string): unknown {
    let entry = exports;
    for (const point of definition.patchPoints) {
      if (!point.inEntryModule || !satisfiesRange(version, point.versions)) continue;
      entry = this.replacedExports(definition, point, entry);
      const known = allPatches();
      const targets = point
        .locate(entry)
        .filter((target) => !known.some((p) => p.owner === target.owner && p.method === target.method));
      if (targets.length === 0) continue;
      const problem = this.patchTargets(definition, targets, version, `${definition.module}#${point.label}`);
      if (problem) warnPatchProblem(problem);
    }
    return entry;
  }

  /** The point's stand-in for exports it cannot patch in place; a fault of its own keeps the exports. */
  private replacedExports(definition: SdkDefinition, point: PatchPoint, exports: unknown): unknown {
    if (!point.replaceExports) return exports;
    try {
      return point.replaceExports(exports);
    } catch (error) {
      guardLog.error(`could not make patchable exports for ${definition.module}#${point.label}`, error);
      return exports;
    }
  }

  /**
   * A warning, instead of a silent no-op, for a version or layout the guard cannot patch. A supported
   * version whose patch points are in files the entry does not load (`@mastra/core`'s Agent is in
   * `@mastra/core/agent`) is checked once the app's start-up code has run (an immediate): its patch
   * file may be loaded after the entry, and only a copy still unpatched then is a blind spot.
   */
  private checkVersion(definition: SdkDefinition, version: string): void {
    if (hasStatusFor(definition.module, version)) return;
    const supported = isValidVersion(version) && satisfiesRange(version, definition.supportedVersions);
    if (!supported) {
      const outer = coveringSdk(definition.module, SDK_DEFINITIONS);
      if (outer) {
        // litellm's own old anthropic: used by litellm alone, whose calls its patch checks.
        const note = `${definition.module} ${version}, a copy inside ${outer}, is outside the versions the guard supports (${definition.supportedVersions}); ${outer}'s own patch checks the calls made through it`;
        addStatus(definition.module, { version, patchPoint: '-', active: false, problem: note });
        guardLog.warn(note);
        return;
      }
      const problem = `${definition.module} ${version} is outside the versions the guard supports (${definition.supportedVersions}); its calls are not checked`;
      addStatus(definition.module, { version, patchPoint: '-', active: false, problem });
      warnPatchProblem(problem);
      return;
    }
    const noPatchPoint = () => {
      if (hasStatusFor(definition.module, version) || !this.isEnabled()) return;
      const problem = `no patch point was found in ${definition.module} ${version}; its calls are not checked`;
      addStatus(definition.module, { version, patchPoint: '-', active: false, problem });
      warnPatchProblem(problem);
    };
    const entryHoldsOne = definition.patchPoints.some(
      (point) => point.inEntryModule && satisfiesRange(version, point.versions),
    );
    if (entryHoldsOne) noPatchPoint();
    else setImmediate(noPatchPoint);
  }

  private patchExports(
    definition: SdkDefinition,
    point: PatchPoint,
    file: string,
    exports: unknown,
    version: string,
  ): void {
    const patchPoint = `${file}#${point.label}`;
    const problem = this.patchTargets(definition, point.locate(exports), version, patchPoint);
    if (problem) {
      addStatus(definition.module, { version, patchPoint, active: false, problem });
      warnPatchProblem(problem);
    }
  }

  /** Wraps each target; returns what went wrong, or undefined when all are patched. */
  private patchTargets(
    definition: SdkDefinition,
    targets: PatchTarget[],
    version: string,
    patchPoint: string,
  ): string | undefined {
    if (targets.length === 0) {
      return `patch point ${patchPoint} not found in ${definition.module} ${version}; its calls are not checked`;
    }
    const status = addStatus(definition.module, { version, patchPoint, active: false });
    for (const target of targets) {
      try {
        patchMethod(definition, target.owner, target.method, status);
      } catch (error) {
        // Frozen exports or non-configurable getters: the SDK shape does not allow this patch.
        status.problem = `cannot patch ${target.method} at ${patchPoint} in ${definition.module} ${version}: ${String(error)}`;
        return status.problem;
      }
    }
    guardLog.debug(`patched ${definition.module} ${version} at ${patchPoint}`);
    return undefined;
  }

  /** config.modules: module objects handed over by the app (bundlers hide them from the hooks). */
  patchManualModules(modules: Record<string, unknown>): void {
    for (const [definition, moduleExports] of manualModuleDefinitions(modules)) {
      this.patchManualModule(definition, moduleExports);
    }
  }

  private patchManualModule(definition: SdkDefinition, moduleExports: unknown): void {
    noteManualSdkDirectory(definition.module, moduleExports);
    const candidates = [moduleExports, (moduleExports as { default?: unknown } | null)?.default];
    let found = false;
    // Every patch point the object holds (litellm's completion and embedding), each from the
    // first candidate that has it.
    for (const point of definition.patchPoints) {
      const targets = candidates.map((candidate) => point.locate(candidate)).find((t) => t.length > 0);
      if (!targets) continue;
      found = true;
      const patchPoint = `modules.${definition.module}#${point.label}`;
      const problem = this.patchTargets(definition, targets, 'manual', patchPoint);
      if (problem) warnPatchProblem(problem);
    }
    if (found) return;
    const problem = `the module object given for ${definition.module} in config.modules has none of its patch points (${definition.patchPoints.map((p) => p.label).join(', ')})`;
    addStatus(definition.module, { version: 'manual', patchPoint: '-', active: false, problem });
    warnPatchProblem(problem);
  }
}
