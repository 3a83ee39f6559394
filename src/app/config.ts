import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { DEFAULT_NETWORK_HOSTS, HOST_ENTRY_FORMAT, isHostEntry } from './network/hosts';
import { MODES, type MimaGuardConfig, type Mode } from './types';
import { guardLog } from './safe-log';

const log = guardLog;

export interface ResolvedConfig {
  enabled: boolean;
  mode: Mode;
  logFile: string;
  socketPath: string;
  workspaceId: string | null;
  captureCallSite: boolean;
  warnOnce: boolean;
  maxBytes: number;
  backups: number;
  maxQueuedRecords: number;
  /** 0: no coverage summary line. */
  coverageSummaryIntervalMs: number;
  modules: Record<string, unknown>;
  networkBackstop: boolean;
  /** The default AI API hosts, then the app's own (networkHosts or MIMA_GUARD_NETWORK_HOSTS). */
  networkHosts: string[];
  /** Every record also goes to a local durable copy (daemon ack or JSONL), whoever else took it. */
  durable: boolean;
  /** Blind spots make the process exit non-zero (when it would have exited 0). */
  strict: boolean;
}

const KNOWN_KEYS = [
  'enabled',
  'mode',
  'logFile',
  'socketPath',
  'workspaceId',
  'captureCallSite',
  'warnOnce',
  'maxBytes',
  'backups',
  'maxQueuedRecords',
  'coverageSummaryIntervalMs',
  'modules',
  'networkBackstop',
  'networkHosts',
  'durable',
  'strict',
] as const;

export function mimaHome(): string {
  return path.join(os.homedir(), '.mima');
}

/** Where records go by default, and when the configured log file is refused. */
export function defaultLogFile(): string {
  return path.join(mimaHome(), 'guard_log.jsonl');
}

/** Constructor config first, then environment, then defaults. Throws TypeError on bad input. */
export function resolveConfig(
  config: MimaGuardConfig = {},
  env: NodeJS.ProcessEnv = process.env,
): ResolvedConfig {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new TypeError(
      `Mima guard config must be an object or one of the modes ${MODES.join(', ')}; got ${describe(config)}`,
    );
  }
  for (const key of Object.keys(config)) {
    if (!(KNOWN_KEYS as readonly string[]).includes(key)) {
      throw new TypeError(`Unknown Mima guard config key "${key}"; accepted keys: ${KNOWN_KEYS.join(', ')}`);
    }
  }
  const mode = config.mode ?? env.MIMA_GUARD_MODE ?? 'warn';
  if (!MODES.includes(mode as Mode)) {
    const source = config.mode !== undefined ? 'mode' : 'MIMA_GUARD_MODE';
    throw new TypeError(
      `Invalid Mima guard ${source} ${describe(mode)}; accepted: ${MODES.map((m) => `"${m}"`).join(', ')}`,
    );
  }
  return {
    enabled: optionalBoolean(config, 'enabled') ?? true,
    mode: mode as Mode,
    logFile: pathOption(config, 'logFile', env.MIMA_GUARD_LOG_FILE, 'guard_log.jsonl'),
    socketPath: pathOption(config, 'socketPath', env.MIMA_DAEMON_SOCKET, 'daemon.sock'),
    workspaceId: workspaceId(config, env),
    captureCallSite: optionalBoolean(config, 'captureCallSite') ?? true,
    warnOnce: optionalBoolean(config, 'warnOnce') ?? true,
    maxBytes: positiveInteger(config, 'maxBytes') ?? 10 * 1024 * 1024,
    backups: positiveInteger(config, 'backups', 0) ?? 3,
    maxQueuedRecords: positiveInteger(config, 'maxQueuedRecords') ?? 10_000,
    coverageSummaryIntervalMs: coverageSummaryInterval(config, env),
    modules: modulesOption(config.modules),
    networkBackstop: optionalBoolean(config, 'networkBackstop') ?? true,
    networkHosts: networkHostsOption(config, env),
    durable: booleanOption(config, 'durable', env.MIMA_GUARD_DURABLE, 'MIMA_GUARD_DURABLE') ?? true,
    strict: booleanOption(config, 'strict', env.MIMA_GUARD_STRICT, 'MIMA_GUARD_STRICT') ?? false,
  };
}

/** Accepts a whole config or just a mode, as enableGuard() does. */
export function configFromArgument(arg: MimaGuardConfig | Mode | undefined): MimaGuardConfig {
  if (arg === undefined) return {};
  if (typeof arg === 'string') {
    if (!MODES.includes(arg as Mode)) {
      throw new TypeError(
        `Invalid Mima guard mode ${describe(arg)}; accepted: ${MODES.map((m) => `"${m}"`).join(', ')}`,
      );
    }
    return { mode: arg };
  }
  return arg;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `${typeof value} ${String(value)}`.slice(0, 80);
}

function optionalBoolean(config: MimaGuardConfig, key: keyof MimaGuardConfig): boolean | undefined {
  const value = config[key];
  if (value === undefined || typeof value === 'boolean') return value as boolean | undefined;
  throw new TypeError(`Mima guard option ${key} must be true or false; got ${describe(value)}`);
}

const ENV_TRUE = ['1', 'true'];
const ENV_FALSE = ['0', 'false'];

/** The option, else its environment variable (1/true, 0/false; empty means unset). */
function booleanOption(
  config: MimaGuardConfig,
  key: 'durable' | 'strict',
  fromEnv: string | undefined,
  envName: string,
): boolean | undefined {
  const fromConfig = optionalBoolean(config, key);
  if (fromConfig !== undefined || fromEnv === undefined || fromEnv === '') return fromConfig;
  const text = fromEnv.trim().toLowerCase();
  if (ENV_TRUE.includes(text)) return true;
  if (ENV_FALSE.includes(text)) return false;
  throw new TypeError(`Invalid ${envName} ${JSON.stringify(fromEnv)}; accepted: 1, true, 0, false`);
}

function positiveInteger(
  config: MimaGuardConfig,
  key: 'maxBytes' | 'backups' | 'maxQueuedRecords' | 'coverageSummaryIntervalMs',
  min = 1,
): number | undefined {
  const value = config[key];
  if (value === undefined) return undefined;
  if (typeof value === 'number' && Number.isInteger(value) && value >= min) return value;
  throw new TypeError(`Mima guard option ${key} must be an integer >= ${min}; got ${describe(value)}`);
}

/** The constructor option, else MIMA_GUARD_COVERAGE_SUMMARY_MS, else 0 (off). */
function coverageSummaryInterval(config: MimaGuardConfig, env: NodeJS.ProcessEnv): number {
  const fromConfig = positiveInteger(config, 'coverageSummaryIntervalMs', 0);
  if (fromConfig !== undefined) return fromConfig;
  const text = env.MIMA_GUARD_COVERAGE_SUMMARY_MS;
  if (text === undefined || text === '') return 0;
  if (!/^\d+$/.test(text)) {
    throw new TypeError(
      `Invalid MIMA_GUARD_COVERAGE_SUMMARY_MS ${JSON.stringify(text)}; accepted: an integer number of milliseconds >= 0`,
    );
  }
  return Number(text);
}

function pathOption(
  config: MimaGuardConfig,
  key: 'logFile' | 'socketPath',
  fromEnv: string | undefined,
  defaultName: string,
): string {
  const value: unknown = config[key];
  if (value !== undefined && (typeof value !== 'string' || value.length === 0)) {
    throw new TypeError(
      `Mima guard option ${key} must be a non-empty file path string; got ${describe(value)}`,
    );
  }
  const chosen = (value as string | undefined) ?? (fromEnv || undefined);
  return path.resolve(chosen ?? path.join(mimaHome(), defaultName));
}

function workspaceId(config: MimaGuardConfig, env: NodeJS.ProcessEnv): string | null {
  const value: unknown = config.workspaceId;
  if (value !== undefined) {
    if (typeof value !== 'string') {
      throw new TypeError(`Mima guard option workspaceId must be a string; got ${describe(value)}`);
    }
    return value;
  }
  if (env.MIMA_WORKSPACE_ID) return env.MIMA_WORKSPACE_ID;
  return workspaceIdFromConfigFile();
}

/** Config files already warned about: the guard is reconfigured often, the warning is said once. */
const warnedConfigFiles = new Set<string>();

/**
 * `mima-guard login` stores {"workspace_id": "..."} in ~/.mima/config.json. A missing file means
 * none, silently; an unparsable one means none too, with one diag warning, so a typo is noticed.
 */
function workspaceIdFromConfigFile(): string | null {
  const file = path.join(mimaHome(), 'config.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    const id = (parsed as { workspace_id?: unknown } | null)?.workspace_id;
    return typeof id === 'string' && id ? id : null;
  } catch (error) {
    if (!warnedConfigFiles.has(file)) {
      warnedConfigFiles.add(file);
      log.warn(`ignoring ${file}: it is not valid JSON (${(error as Error).message}); no workspace id`);
    }
    return null;
  }
}

function modulesOption(value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(
      `Mima guard option modules must be an object mapping package names to module objects, e.g. { openai: require('openai') }; got ${describe(value)}`,
    );
  }
  return value as Record<string, unknown>;
}

/** The default hosts, then networkHosts (or else MIMA_GUARD_NETWORK_HOSTS, comma-separated). */
function networkHostsOption(config: MimaGuardConfig, env: NodeJS.ProcessEnv): string[] {
  const value: unknown = config.networkHosts;
  let extra: unknown[];
  let source: string;
  if (value !== undefined) {
    if (!Array.isArray(value)) {
      throw new TypeError(
        `Mima guard option networkHosts must be an array of host strings, e.g. ['llm.example.com', '10.0.0.5:8080']; got ${describe(value)}`,
      );
    }
    extra = value as unknown[];
    source = 'networkHosts';
  } else {
    extra = (env.MIMA_GUARD_NETWORK_HOSTS ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean);
    source = 'MIMA_GUARD_NETWORK_HOSTS';
  }
  const hosts = DEFAULT_NETWORK_HOSTS.map(([entry]) => entry);
  for (const entry of extra) {
    if (typeof entry !== 'string' || !isHostEntry(entry)) {
      throw new TypeError(
        `Invalid Mima guard ${source} entry ${describe(entry)}; accepted: ${HOST_ENTRY_FORMAT}`,
      );
    }
    const lower = entry.toLowerCase();
    if (!hosts.includes(lower)) hosts.push(lower);
  }
  return hosts;
}
