/**
 * Exports whose functions cannot be redefined get a stand-in the app receives instead: the same
 * property descriptors (so the same live getters), except that the named functions are plain
 * writable properties the guard can wrap and unwrap. Two shapes need it: a bundler's
 * non-configurable CommonJS getters, and the module namespace that `require()` of an ES module
 * returns (its properties cannot be set). Exports the guard can patch as they are (an
 * import-in-the-middle namespace) are returned unchanged.
 */
export function standInExports(names: readonly string[]): (exports: unknown) => unknown {
  const standIns = new WeakMap<object, object>();
  return (exports) => {
    if (exports === null || typeof exports !== 'object') return exports;
    const fixed = names.filter(
      (name) => Object.getOwnPropertyDescriptor(exports, name)?.configurable === false,
    );
    if (fixed.length === 0) return exports;
    let standIn = standIns.get(exports);
    if (!standIn) {
      const descriptors = Object.getOwnPropertyDescriptors(exports);
      for (const name of fixed) {
        descriptors[name] = {
          value: (exports as Record<string, unknown>)[name],
          writable: true,
          configurable: true,
          enumerable: descriptors[name].enumerable,
        };
      }
      standIn = Object.create(Object.getPrototypeOf(exports), descriptors) as object;
      standIns.set(exports, standIn);
    }
    return standIn;
  };
}
