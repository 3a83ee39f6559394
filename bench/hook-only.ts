import { InstrumentationBase, InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';

/**
 * The least an instrumentation of the design's shape (an InstrumentationBase subclass, DESIGN.md)
 * can add at start-up: a hook on one module that patches nothing. `onHook` runs when it loads.
 */
export function hookOnly(moduleName: string, onHook: () => void = () => {}): void {
  class HookOnly extends InstrumentationBase {
    constructor() {
      super('bench-hook-only', '0.0.0', {});
    }
    protected init() {
      return new InstrumentationNodeModuleDefinition(moduleName, ['*'], (exports: unknown) => {
        onHook();
        return exports;
      });
    }
  }
  new HookOnly(); // enabled by its constructor
}
