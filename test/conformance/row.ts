/**
 * One row of the conformance table: the data that runs one SDK definition through the shared
 * contract (contract.ts). A row names the package, where its locked copies live, how to build a
 * client against the local mock server, one call and one streaming call, the SDK's own helpers,
 * and what the guard must report. New SDKs add a file under rows/ and one entry in rows/index.ts.
 */

export type ModuleSystem = 'cjs' | 'esm';

/** What a row's functions get: the SDK module as loaded, the client, and a loader for companions. */
export interface RowContext {
  /** The SDK's exports (CommonJS module.exports, or the ES module namespace). */
  sdk: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Installed version of the SDK copy under test. */
  version: string;
  /** Another package from the same install (an AI SDK provider), loaded the same way. */
  load(name: string): Promise<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** The mock server's origin, e.g. http://127.0.0.1:4711. */
  origin: string;
}

/** A reply of the mock HTTP/1 server: status 200 with this content type and body. */
export interface MockReply {
  type: string;
  body: string;
}

export interface Helper {
  /** The SDK helper, as the SDK names it (withResponse, messages.stream, ...). */
  name: string;
  /** Runs it to the end and returns the reply text ('hello' from the mock). */
  run(client: any, ctx: RowContext): Promise<string>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** False where this version does not ship the helper (it came in a later minor): the case is skipped. */
  available?(client: any, ctx: RowContext): boolean; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** The helper only reads a response (asResponse): its unattested form is not a separate call. */
  attestedOnly?: boolean;
}

export interface ConformanceRow {
  /** Row name, as tests and test:latest print it. */
  name: string;
  /** npm package (the SDK definition's `module`). */
  module: string;
  /** test/versions/<dir> workspaces holding the locked copies. */
  versionDirs: string[];
  /** Module systems to load it in: 'esm' where the package ships an ES module build. */
  moduleSystems: ModuleSystem[];
  /** Packages installed beside it (an AI SDK provider), per SDK version; test:latest installs them. */
  companions?(version: string): string[];
  /**
   * The mock server: HTTP/1 with `reply`, the HTTP/2 Bedrock stand-in, or none where the SDK's
   * work leaves through a child process it starts (then `requests` counts what reached it).
   */
  server: 'http' | 'bedrock' | 'none';
  /**
   * What reached the far side so far, where that is not the mock server: the contract's "before
   * any request" then means before any child process the SDK starts (the row's stand-in counts).
   */
  requests?(client: any): number; // eslint-disable-line @typescript-eslint/no-explicit-any
  reply?(path: string, body: Record<string, unknown>): MockReply;
  client(ctx: RowContext): Promise<unknown> | unknown;
  /** One chat (or embeddings) call; returns the reply text. */
  call(client: any, ctx: RowContext): Promise<string>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** One streaming call, consumed to the end; returns the streamed text. */
  stream(client: any, ctx: RowContext): Promise<string>; // eslint-disable-line @typescript-eslint/no-explicit-any
  helpers: Helper[];
  expect: {
    callSite: string;
    /** The streaming call's call site, where it differs. */
    streamCallSite?: string;
    provider: string;
    operation: string;
    model: string;
    /**
     * A MimaGuardWarning the SDK gets today although its patch is active (a false alarm, or one
     * the guard cannot yet tell from a real blind spot): a known gap, pinned so that a change
     * either way is seen.
     */
    knownWarning?: RegExp;
  };
}
