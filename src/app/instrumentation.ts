import {
  InstrumentationBase,
  InstrumentationNodeModuleDefinition,
  InstrumentationNodeModuleFile,
} from '@opentelemetry/instrumentation';
import type { Tracer, TracerProvider } from '@opentelemetry/api';
import { useStrict, warnIfEsmAppUnhooked } from './blind-spots';
import { globalTracer } from './global-tracer';
import { resolveConfig, type ResolvedConfig } from './config';
import { useMeter } from './coverage/call-counts';
import { useCoverageSummary } from './coverage/summary-line';
import { activeGuard, GuardRuntime, setActiveGuard } from './guard';
import { syncNetworkBackstop } from './network/backstop';
import { allPatches, applyPatch, patchMethod, removePatch } from './patch';
import { queueModuleDefinitions } from './queues/hooks';
import { guardLog } from './safe-log';
import { isValidVersion, satisfiesRange } from './version-range';
import { coveringSdk, noteHookedDirectory } from './nested-copy';
import { noteManualSdkDirectory, noteSdkDirectory } from './sdk-directory';
import { addStatus, hasStatusFor } from './sdk-status';
import { SDK_DEFINITIONS } from './sdks';
import { noteCallersIn } from './sdks/noted-caller';
import type { PatchPoint, PatchTarget, SdkDefinition } from './sdks/definition';
import { setImmediate } from './sinks/node-timers';
import { reportingFor, retireReporting, type Reporting } from './sinks/reporting';
import type { MimaGuardConfig } from './types';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';
import { warnGuardProblem } from './warnings';

/** The stable code of a patch problem, by the sentence patchTargets and checkVersion start it with. */
function patchProblemCode(problem: string): string {
  if (problem.includes('outside the versions the guard supports')) return 'MIMA_GUARD_SDK_UNSUPPORTED';
  if (problem.startsWith('cannot patch')) return 'MIMA_GUARD_PATCH_FAILED';
  return 'MIMA_GUARD_PATCH_POINT_MISSING';
}

/**
 * Instances currently enabled, in every copy of this package (a second copy reuses the first one's
 * wrapper, so a copy's disable() must not unpatch while another copy's instance is enabled); the
 * newest one's configuration is the one in force.
 */
const enabledInstances = ((globalThis as Record<symbol, unknown>)[
  Symbol.for('@mima-governance/instrumentation-guard.enabled-instances.v1')
] ??= []) as MimaGuardInstrumentation[];

/**
 * Patches every supported AI SDK at its request chokepoint. Works with
 * registerInstrumentations, NodeSDK({ instrumentations }) and enableGuard().
 */
export class MimaGuardInstrumentation extends InstrumentationBase<MimaGuardConfig> {
  // `declare`: these are set from inside the base constructor (setConfig, enable), so they
  // must not be re-initialised by class-field semantics after it returns.
  declare private resolved: ResolvedConfig;
  declare private runtime: GuardRuntime | undefined;
  declare private closing: Promise<void> | undefined;

  constructor(config: MimaGuardConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config);
  }

  /** Validates first (a TypeError names the bad value), then applies; an enabled guard is reconfigured. */
  override setConfig(config: MimaGuardConfig = {}): void {
    this.useSafeDiag();
    const resolved = resolveConfig(config);
    super.setConfig({ ...config, enabled: resolved.enabled });
    this.resolved = resolved;
    if (this.runtime) this.startRuntime();
  }

  /**
   * The base class's diag logger, which it and this class log through from inside the module
   * hooks (an SDK out of range, a moved patch point) and enable(), becomes the guard's safe one
   * (same namespace): a logger the app installed that throws would otherwise make the app's
   * require() of its SDK, or enableGuard(), throw. Set from the first method the base constructor
   * calls, as its own field holds the plain component logger until then.
   */
  private useSafeDiag(): void {
    this._diag = guardLog;
  }

  /** The configuration in force, with environment and defaults applied. */
  get resolvedConfig(): ResolvedConfig {
    return this.resolved;
  }

  protected init() {
    return [
      ...SDK_DEFINITIONS.map((definition) => this.moduleDefinition(definition)),
      ...queueModuleDefinitions(),
    ];
  }

  override enable(): void {
    this.useSafeDiag();
    if (this.isEnabled()) return;
    // Before anything is enabled: a constructor that throws must not leave a live instance behind.
    this.manualModuleDefinitions();
    super.enable();
    if (!enabledInstances.includes(this)) enabledInstances.push(this);
    for (const patch of allPatches()) applyPatch(patch);
    this.patchManualModules();
    this.startRuntime();
    warnIfEsmAppUnhooked(Object.keys(this.resolved.modules).length);
  }

  /**
   * A version or layout the guard cannot patch: its calls are not checked, said on stderr once per
   * problem (the sentence names package, version and patch point), so each SDK affected is named.
   */
  private warnPatchProblem(problem: string): void {
    warnGuardProblem(patchProblemCode(problem), problem, problem);
  }

  override disable(): void {
    if (!this.isEnabled()) return;
    super.disable();
    const index = enabledInstances.indexOf(this);
    if (index >= 0) enabledInstances.splice(index, 1);
    if (enabledInstances.length === 0) {
      for (const patch of allPatches()) removePatch(patch);
    }
    this.stopRuntime();
    const newest = enabledInstances[enabledInstances.length - 1];
    if (newest && !activeGuard()) newest.startRuntime();
  }

  /** Set by setTracerProvider() (NodeSDK, registerInstrumentations): that provider is used. */
  private ownTracerProvider = false;

  override setTracerProvider(tracerProvider: TracerProvider): void {
    super.setTracerProvider(tracerProvider);
    this.ownTracerProvider = true;
  }

  /** A provider given to the instrumentation, else the global one as registered now (global-tracer.ts). */
  private spanTracer(): Tracer {
    return this.ownTracerProvider ? this.tracer : globalTracer();
  }

  /** Resolves when the sinks of the last disable() or reconfiguration are flushed and closed. */
  async whenClosed(): Promise<void> {
    await this.closing;
  }

  private startRuntime(): void {
    const previous = this.runtime;
    const reporting = reportingFor(this.resolved, () => this.spanTracer(), previous);
    if (previous) this.retire(previous.reporting, reporting);
    this.runtime = new GuardRuntime(this.resolved, reporting);
    setActiveGuard(this.runtime);
    syncNetworkBackstop();
    useMeter(this.meter);
    useCoverageSummary(reporting.jsonl, this.resolved.coverageSummaryIntervalMs);
    useStrict(this.resolved.strict);
  }

  /** The base class calls this when the MeterProvider is set (registerInstrumentations, NodeSDK). */
  protected override _updateMetricInstruments(): void {
    if (this.runtime !== undefined && activeGuard() === this.runtime) useMeter(this.meter);
  }

  private stopRuntime(): void {
    const runtime = this.runtime;
    if (!runtime) return;
    this.runtime = undefined;
    if (activeGuard() === runtime) {
      setActiveGuard(undefined);
      // Written before the sinks close: the summary's last line goes to the log it belongs to.
      useCoverageSummary(undefined, 0);
      useMeter(undefined);
    }
    syncNetworkBackstop();
    this.retire(runtime.reporting, undefined);
  }

  private retire(previous: Reporting, next: Reporting | undefined): void {
    const closed = retireReporting(previous, next).catch((error) =>
      this._diag.error('closing the guard sinks failed', error),
    );
    this.closing = Promise.all([this.closing, closed]).then(() => undefined);
  }

  private moduleDefinition(definition: SdkDefinition): InstrumentationNodeModuleDefinition {
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
      if (problem) this.warnPatchProblem(problem);
    }
    return entry;
  }

  /** The point's stand-in for exports it cannot patch in place; a fault of its own keeps the exports. */
  private replacedExports(definition: SdkDefinition, point: PatchPoint, exports: unknown): unknown {
    if (!point.replaceExports) return exports;
    try {
      return point.replaceExports(exports);
    } catch (error) {
      this._diag.error(`could not make patchable exports for ${definition.module}#${point.label}`, error);
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
      this.warnPatchProblem(problem);
      return;
    }
    const noPatchPoint = () => {
      if (hasStatusFor(definition.module, version) || !this.isEnabled()) return;
      const problem = `no patch point was found in ${definition.module} ${version}; its calls are not checked`;
      addStatus(definition.module, { version, patchPoint: '-', active: false, problem });
      this.warnPatchProblem(problem);
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
      this.warnPatchProblem(problem);
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
    this._diag.debug(`patched ${definition.module} ${version} at ${patchPoint}`);
    return undefined;
  }

  /** config.modules: module objects handed over by the app (bundlers hide them from the hooks). */
  private patchManualModules(): void {
    for (const [definition, moduleExports] of this.manualModuleDefinitions()) {
      this.patchManualModule(definition, moduleExports);
    }
  }

  /** config.modules with each SDK's definition; throws naming an SDK the guard does not know. */
  private manualModuleDefinitions(): Array<[SdkDefinition, unknown]> {
    return Object.entries(this.resolved.modules).map(([name, moduleExports]) => {
      const definition = SDK_DEFINITIONS.find((d) => d.module === name);
      if (!definition) {
        throw new TypeError(
          `Mima guard option modules has unknown SDK "${name}"; accepted: ${SDK_DEFINITIONS.map((d) => d.module).join(', ')}`,
        );
      }
      return [definition, moduleExports];
    });
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
      if (problem) this.warnPatchProblem(problem);
    }
    if (found) return;
    const problem = `the module object given for ${definition.module} in config.modules has none of its patch points (${definition.patchPoints.map((p) => p.label).join(', ')})`;
    addStatus(definition.module, { version: 'manual', patchPoint: '-', active: false, problem });
    this.warnPatchProblem(problem);
  }
}

/**
 * The base class learns a hooked package's version by reading and parsing its package.json, again
 * for every file of the package that loads while the package's internals are hooked: openai has
 * about 150, which made this 4 ms of every process's start-up. A directory's version does not
 * change within a process, so it is read once. (A base class without the method is left alone.)
 */
const readPackageVersion = (InstrumentationBase.prototype as unknown as Record<string, unknown>)
  ._extractPackageVersion;
if (typeof readPackageVersion === 'function') {
  const versions = new Map<string, string | undefined>();
  Object.defineProperty(MimaGuardInstrumentation.prototype, '_extractPackageVersion', {
    value(this: unknown, baseDir: string): string | undefined {
      noteHookedDirectory(baseDir);
      if (!versions.has(baseDir)) {
        versions.set(baseDir, readPackageVersion.call(this, baseDir) as string | undefined);
        noteSdkDirectory(baseDir);
      }
      return versions.get(baseDir);
    },
    configurable: true,
    writable: true,
  });
}
