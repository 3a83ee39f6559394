import { InstrumentationBase } from '@opentelemetry/instrumentation';
import type { Tracer, TracerProvider } from '@opentelemetry/api';
import { useStrict, warnIfEsmAppUnhooked } from './blind-spots';
import { globalTracer } from './global-tracer';
import { resolveConfig, type ResolvedConfig } from './config';
import { useMeter } from './coverage/call-counts';
import { useCoverageSummary } from './coverage/summary-line';
import { activeGuard, GuardRuntime, setActiveGuard } from './guard';
import { syncNetworkBackstop } from './network/backstop';
import { allPatches, applyPatch, removePatch } from './patch';
import { queueModuleDefinitions } from './queues/hooks';
import { guardLog } from './safe-log';
import { noteHookedDirectory } from './nested-copy';
import { noteSdkDirectory } from './sdk-directory';
import { manualModuleDefinitions, SdkPatcher } from './sdk-patcher';
import { SDK_DEFINITIONS } from './sdks';
import { reportingFor, retireReporting, type Reporting } from './sinks/reporting';
import type { MimaGuardConfig } from './types';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';

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
  declare private patcher: SdkPatcher;

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
    // Called by the base constructor, before this class's fields exist.
    const patcher = (this.patcher ??= new SdkPatcher(() => this.isEnabled()));
    return [
      ...SDK_DEFINITIONS.map((definition) => patcher.moduleDefinition(definition)),
      ...queueModuleDefinitions(),
    ];
  }

  override enable(): void {
    this.useSafeDiag();
    if (this.isEnabled()) return;
    // Before anything is enabled: a constructor that throws must not leave a live instance behind.
    manualModuleDefinitions(this.resolved.modules);
    super.enable();
    if (!enabledInstances.includes(this)) enabledInstances.push(this);
    for (const patch of allPatches()) applyPatch(patch);
    this.patcher.patchManualModules(this.resolved.modules);
    this.startRuntime();
    warnIfEsmAppUnhooked(Object.keys(this.resolved.modules).length);
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
