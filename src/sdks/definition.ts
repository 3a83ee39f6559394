import type { CallDescription } from '../types';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export type AnyMethod = Function;

/** Where one version range of an SDK keeps its request chokepoint. */
export interface PatchPoint {
  /** SDK versions (semver range) with this layout. */
  versions: string;
  /** Files inside the package that define the class: the CommonJS and the ES module copy. */
  files: string[];
  /** Export of those files holding the class; the method's owner is found on its prototype chain. */
  exportName: string;
  /** The prototype method every model call passes through before a request is sent. */
  method: string;
}

/** Everything the guard needs to know about one AI SDK. One short file per SDK builds one. */
export interface SdkDefinition {
  /** npm package name, as module hooks see it. */
  module: string;
  /** Versions the guard supports; a loaded version outside gets one diag warning. */
  supportedVersions: string;
  patchPoints: PatchPoint[];
  /** Exports to search for a client class when the module object is handed over by config.modules. */
  clientExports: string[];
  /** Names the call and reads what is known without touching content. */
  describe(self: object, args: unknown[]): CallDescription;
  /** Makes the original method fail with `error` the way the SDK's own errors arrive. */
  fail(original: AnyMethod, self: object, args: unknown[], error: Error): unknown;
}
