import type { GuardProblem } from './warnings';
import type { InstrumentationConfig } from '@opentelemetry/instrumentation';

export type Mode = 'warn' | 'block' | 'report';
export const MODES: readonly Mode[] = ['warn', 'block', 'report'];

export interface MimaGuardConfig extends InstrumentationConfig {
  /** How an unattested call is handled. Default 'warn'; env MIMA_GUARD_MODE. */
  mode?: Mode;
  /** JSONL report file. Default ~/.mima/guard_log.jsonl; env MIMA_GUARD_LOG_FILE. */
  logFile?: string;
  /** Local daemon socket. Default ~/.mima/daemon.sock; env MIMA_DAEMON_SOCKET. */
  socketPath?: string;
  /** Workspace id put on every record. Default env MIMA_WORKSPACE_ID, then ~/.mima/config.json. */
  workspaceId?: string;
  /** Record the file:line of the user's code that made the call. Default true. */
  captureCallSite?: boolean;
  /** Warn once per (call site, code location), as Python's default warning filter does. Default true. */
  warnOnce?: boolean;
  /** JSONL rotation size in bytes. Default 10 MB. */
  maxBytes?: number;
  /** JSONL rotated files kept. Default 3. */
  backups?: number;
  /** JSONL records kept in memory while the file cannot be written; the overflow is counted. Default 10,000. */
  maxQueuedRecords?: number;
  /**
   * Every this many ms, write the attested and unattested call counts per call site to the JSONL
   * log as one `{"type":"coverage"}` line, for `mima-guard report`. 0 (default) is off.
   * Env MIMA_GUARD_COVERAGE_SUMMARY_MS.
   */
  coverageSummaryIntervalMs?: number;
  /** Manual instrumentation: SDK module objects the module hooks cannot see (bundled apps). */
  modules?: Record<string, unknown>;
  /**
   * Report requests (fetch, http.request) to known AI API hosts that no patched SDK call made,
   * as `net.<host>`. Reported in every mode, never blocked. Default true.
   */
  networkBackstop?: boolean;
  /**
   * Hosts the network backstop reports, added to its default list of AI API hosts: `host` (any
   * port), `host:port`, `[v6]:port`; one `*` may stand for part of a label, as in
   * `*.openai.azure.com`. Env MIMA_GUARD_NETWORK_HOSTS, comma-separated.
   */
  networkHosts?: string[];
  /**
   * Every unattested call also ends in a local durable copy (the daemon's ack, or the JSONL file),
   * whoever else took it: a span is telemetry, which a short-lived process or a collector that is
   * down loses. Default true. `false` (env MIMA_GUARD_DURABLE=0) accepts that loss: a recording
   * span is then the record's only copy.
   */
  durable?: boolean;
  /**
   * Blind spots (calls the guard cannot check, records it cannot keep) become errors: the process
   * exits with code 1 where it would have exited 0. Default false; env MIMA_GUARD_STRICT=1.
   */
  strict?: boolean;
}

export interface AttestOptions {
  /** A label for the attested unit of work (for example the tool it implements). */
  toolName?: string;
}

/** One JSONL line per unattested call. The first three fields are the Python guard's. */
export interface DetectionRecord {
  ts: string;
  call_site: string;
  attested: false;
  mode: Mode;
  blocked: boolean;
  code_file: string | null;
  code_line: number | null;
  workspace_id: string | null;
  pid: number;
  id: string;
}

/** What an SDK module definition tells the guard about one intercepted call. Never content. */
export interface CallDescription {
  callSite: string;
  provider: string;
  operation: string;
  model?: string;
  /**
   * The requested model when the SDK builds its request options in a promise (openai 7.59+): read
   * once they resolve, for the span only. Never content.
   */
  modelLater?: Promise<string | undefined>;
}

export interface PatchStatus {
  /** Installed version of the SDK copy that was loaded. */
  version: string;
  /** 'file#Class.method' that was looked for. */
  patchPoint: string;
  /** True while the wrapper is in place. */
  active: boolean;
  /** Why the copy is not patched, when it is not. */
  problem?: string;
}

export interface SdkStatus {
  module: string;
  supportedVersions: string;
  /** One entry per loaded copy (CommonJS and ES module copies are separate). */
  patches: PatchStatus[];
}

export interface GuardStatus {
  enabled: boolean;
  mode: Mode;
  logFile: string;
  workspaceId: string | null;
  sdks: SdkStatus[];
  /** The blind spots seen so far (each kind once), as warned on stderr. */
  problems: GuardProblem[];
}
