import type { CallDescription } from '../types';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export type AnyMethod = Function;

/** One function to wrap: `owner[method]`, a prototype method or an exported function. */
export interface PatchTarget {
  owner: object;
  method: string;
}

/** Where one version range of an SDK keeps its chokepoint, and how to find it in a file's exports. */
export interface PatchPoint {
  /** SDK versions (semver range) with this layout. */
  versions: string;
  /** Files inside the package that define it: the CommonJS and the ES module copy. */
  files: string[];
  /** What is patched, for getGuardStatus() and warnings, e.g. 'OpenAI.methodRequest'. */
  label: string;
  /**
   * Also look in the package's entry module (what the bare name loads). The hooks name an import
   * of the bare name after the package, not the file, so a file hook alone never sees a
   * chokepoint defined in the entry itself (single-file bundles) or reached only through it
   * (require() of an ES module shows hooks the entry, not its imports).
   */
  inEntryModule?: boolean;
  /**
   * With inEntryModule, for entry exports whose functions cannot be redefined (a bundler's
   * non-configurable CommonJS getters): returns a stand-in with the same exports, whose functions
   * can, and the app gets it instead; returns the exports themselves when they can be patched as
   * they are. Unpatching restores the originals on the stand-in, which then acts as the exports.
   */
  replaceExports?(exports: unknown): unknown;
  /** The targets in the file's exports (or a module object from config.modules); [] when moved. */
  locate(exports: unknown): PatchTarget[];
}

/** Where one version range of an SDK defines client classes whose public methods note their caller. */
export interface CallerEntries {
  versions: string;
  /** Files inside the package that define them. */
  files: string[];
  /** Also look in the package's entry module (see PatchPoint.inEntryModule). */
  inEntryModule?: boolean;
  /** The client prototypes among the file's exports. */
  prototypes(exports: unknown): unknown[];
}

/** Everything the guard needs to know about one AI SDK. One short file per SDK builds one. */
export interface SdkDefinition {
  /** npm package name, as module hooks see it. */
  module: string;
  /** Versions the guard supports; a loaded version outside gets one diag warning. */
  supportedVersions: string;
  patchPoints: PatchPoint[];
  /** Call-site names, for the README's table (checked against it by a test). */
  callSites: string[];
  /**
   * The user-visible API that reaches the patch points, by declaration: the one table the runtime's
   * patch points and `mima-guard scan` share (the scan matches calls against it by the type or
   * import they resolve to).
   */
  userApi: UserApi;
  /**
   * Set for SDKs that call other patched SDKs (litellm over openai, ...): the work of an
   * unattested call that goes through is not reported again, so one call yields one record,
   * named after the outermost patched call.
   */
  coversInnerCalls?: boolean;
  /**
   * For MimaGovernance.wrap(client), where `this` at the chokepoint is not the user's client (an
   * internal API client, a sub-client): the objects that stand for the client there. wrap() marks
   * them with the client; `clientKeyOf(this)` names the one a call carries (default: `this`).
   */
  clientKeys?(client: object): unknown[];
  clientKeyOf?(self: unknown): unknown;
  /**
   * For SDKs whose patch points run after their own awaits (no user frame left on the stack):
   * the client classes whose public methods note their caller for the record (noted-caller.ts).
   */
  callerEntries?: CallerEntries[];
  /** Names the call and reads what is known without touching content. `name`: the patched method. */
  describe(self: unknown, args: unknown[], name: string): CallDescription;
  /** Makes the original fail with `error` the way the SDK's own errors arrive. */
  fail(original: AnyMethod, self: unknown, args: unknown[], error: Error, name: string): unknown;
}

/**
 * What user code calls that reaches an SDK's patch points. Paths are relative to the package root
 * and match a declaration file's path as a prefix ('resources/' matches
 * resources/chat/completions/completions.d.ts and .d.mts alike), so a new resource or function in a
 * later minor is covered without a table change, as it is at run time.
 */
export interface UserApi {
  /** First segment of the scan's call-site names, the runtime's ('openai', 'google-genai'). */
  prefix: string;
  /**
   * The package that declares what the table names, when it is not the module itself: the AI SDK
   * providers' models are typed by @ai-sdk/provider's model types, which every provider shares,
   * so the scan reports a call on one under that package.
   */
  declaredIn?: string;
  /** Client classes: a call reached through one is named `<prefix>.<Client>.<first property after it>`. */
  clients: readonly string[];
  /** Functions the package exports, by name (ai's generateText, litellm's completion). */
  functions?: readonly string[];
  /** Every function the declaration files under these paths export (Mistral's standalone funcs). */
  functionsIn?: readonly string[];
  /** Every method of a class or interface declared under these paths (the Stainless resources). */
  methodsIn?: readonly string[];
  /**
   * Methods called on an instance of these classes (declared in the package) or of a subclass:
   * the listed `methods`, or else every method the package declares for them. Matched by the
   * receiver's type, so an inherited method (Bedrock's `send`, declared by smithy's Client) counts.
   */
  classes?: ReadonlyArray<{ names: readonly string[]; methods?: readonly string[] }>;
  /** Methods that never send a request (local helpers), left out by every rule above. */
  localMethods?: readonly string[];
}

/** The nearest object on the prototype chain that owns `method` as its own property. */
export function findMethodOwner(proto: unknown, method: string): object | undefined {
  for (
    let p = proto;
    p !== null && (typeof p === 'object' || typeof p === 'function');
    p = Object.getPrototypeOf(p)
  ) {
    if (Object.prototype.hasOwnProperty.call(p, method)) {
      return typeof (p as Record<string, unknown>)[method] === 'function' ? (p as object) : undefined;
    }
  }
  return undefined;
}

/** A method on the prototype chain of an exported class. */
export function prototypeMethod(exportName: string, method: string): Pick<PatchPoint, 'label' | 'locate'> {
  return {
    label: `${exportName}.${method}`,
    locate(exports) {
      const cls = (exports as Record<string, { prototype?: unknown } | undefined> | null | undefined)?.[
        exportName
      ];
      const owner = findMethodOwner(cls?.prototype, method);
      return owner ? [{ owner, method }] : [];
    },
  };
}

/**
 * Several methods on the prototype chain of an exported class, patched as one point: found only
 * when every `required` one is there (a layout that lost one has moved, and is reported so);
 * `optional` ones are patched where the version has them.
 */
export function prototypeMethods(
  exportName: string,
  required: readonly string[],
  optional: readonly string[] = [],
): Pick<PatchPoint, 'label' | 'locate'> {
  const points = [...required, ...optional].map((method) => ({
    method,
    ...prototypeMethod(exportName, method),
  }));
  return {
    label: `${exportName}.${[...required, ...optional].join('|')}`,
    locate(exports) {
      const found = points.map((point) => point.locate(exports));
      if (required.some((_, i) => found[i].length === 0)) return [];
      return found.flat();
    },
  };
}

/** Functions exported by the file itself (the ones of `names` that it has). */
export function exportedFunctions(...names: string[]): Pick<PatchPoint, 'label' | 'locate'> {
  return {
    label: names.join('|'),
    locate(exports) {
      if (exports === null || (typeof exports !== 'object' && typeof exports !== 'function')) return [];
      return names
        .filter((name) => typeof (exports as Record<string, unknown>)[name] === 'function')
        .map((method) => ({ owner: exports as object, method }));
    },
  };
}

/** table[key] for keys that come from a request or a model (a path segment named `constructor` is not a method). */
export function ownEntry<T>(table: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** The prototypes of the classes a file exports under these names. */
export function exportedPrototypes(...names: string[]): (exports: unknown) => unknown[] {
  return (exports) =>
    names.map(
      (name) =>
        (exports as Record<string, { prototype?: unknown } | undefined> | null | undefined)?.[name]
          ?.prototype,
    );
}
