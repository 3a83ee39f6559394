/**
 * The AI API hosts the network backstop reports, and how a request's host is matched against
 * them. A request names its host as an authority: `host` or `host:port` (a URL's default port is
 * not written), `[v6 address]:port` for IPv6.
 */

/** Known AI API hosts, each with its OpenTelemetry gen_ai.provider.name. */
export const DEFAULT_NETWORK_HOSTS: ReadonlyArray<readonly [entry: string, provider: string]> = [
  ['api.openai.com', 'openai'],
  ['*.openai.azure.com', 'azure.ai.openai'],
  ['api.anthropic.com', 'anthropic'],
  ['generativelanguage.googleapis.com', 'gcp.gemini'],
  ['aiplatform.googleapis.com', 'gcp.vertex_ai'],
  ['*-aiplatform.googleapis.com', 'gcp.vertex_ai'],
  ['bedrock-runtime.*.amazonaws.com', 'aws.bedrock'],
  ['bedrock-runtime-fips.*.amazonaws.com', 'aws.bedrock'],
  ['api.mistral.ai', 'mistral_ai'],
  ['api.cohere.com', 'cohere'],
  ['api.cohere.ai', 'cohere'],
  ['api.groq.com', 'groq'],
  ['api.deepseek.com', 'deepseek'],
  ['api.x.ai', 'x_ai'],
  ['api.perplexity.ai', 'perplexity'],
  // Ollama's default local server (ollama's defaultHost), by name and loopback address. Only
  // this port: the other local model servers' defaults (llama.cpp/LocalAI 8080, vLLM 8000,
  // text-generation-webui 5000, LM Studio 1234) are every dev server's ports too, and a request
  // to them is no evidence of a model call. Apps add theirs with networkHosts.
  ['localhost:11434', 'ollama'],
  ['127.0.0.1:11434', 'ollama'],
  ['[::1]:11434', 'ollama'],
];

/** The provider of a host the app adds itself. */
export const UNKNOWN_PROVIDER = 'unknown';

/** What a host entry may look like; told in the configuration's error message. */
export const HOST_ENTRY_FORMAT =
  'a host name or IP address with an optional :port, such as "llm.example.com", "10.0.0.5:8080" or ' +
  '"[::1]:8080"; one "*" may stand for part of one label before the last two, such as "*.openai.azure.com"';

const ENTRY = /^(\[[0-9a-f:.]+\]|[a-z0-9_*-]+(?:\.[a-z0-9_*-]+)*)(?::(\d{1,5}))?$/;

interface ParsedEntry {
  hostname: string;
  port: string | undefined;
}

/** An entry, lower-cased and checked; undefined when it is not one (a URL, a path, two `*`...). */
function parseEntry(entry: string): ParsedEntry | undefined {
  const match = ENTRY.exec(entry.toLowerCase());
  if (!match) return undefined;
  const [, hostname, port] = match;
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return undefined;
  const stars = hostname.split('*').length - 1;
  if (stars > 1) return undefined;
  if (stars === 1) {
    const labels = hostname.split('.');
    const starred = labels.findIndex((label) => label.includes('*'));
    // `*.com` or `example.*` would match far more than an API host.
    if (hostname.startsWith('[') || starred >= labels.length - 2) return undefined;
  }
  return { hostname, port };
}

/** True when `entry` is a valid host entry (see HOST_ENTRY_FORMAT). */
export function isHostEntry(entry: string): boolean {
  return parseEntry(entry) !== undefined;
}

/** A request to a listed host: the host name (lower case, no port) and its provider. */
export interface HostMatch {
  hostname: string;
  provider: string;
}

interface Wildcard {
  prefix: string;
  suffix: string;
  port: string | undefined;
  provider: string;
}

/**
 * The listed hosts, for a lookup per request: one or two Map lookups, then the few wildcard
 * entries (prefix and suffix of one label). A host that is not listed costs no allocation.
 */
export class HostMatcher {
  /** Entries with a port, by `host:port`. */
  private readonly withPort = new Map<string, string>();
  /** Entries without a port: any port of the host. */
  private readonly anyPort = new Map<string, string>();
  private readonly wildcards: Wildcard[] = [];

  /** `entries` must be valid (the configuration checks them); the known ones get their provider. */
  constructor(entries: readonly string[]) {
    const known = new Map(DEFAULT_NETWORK_HOSTS.map(([entry, provider]) => [entry, provider]));
    for (const entry of entries) {
      const parsed = parseEntry(entry);
      if (!parsed) continue;
      const provider = known.get(entry.toLowerCase()) ?? UNKNOWN_PROVIDER;
      const { hostname, port } = parsed;
      const star = hostname.indexOf('*');
      if (star >= 0) {
        this.wildcards.push({
          prefix: hostname.slice(0, star),
          suffix: hostname.slice(star + 1),
          port,
          provider,
        });
      } else if (port !== undefined) {
        if (!this.withPort.has(`${hostname}:${port}`)) this.withPort.set(`${hostname}:${port}`, provider);
      } else if (!this.anyPort.has(hostname)) {
        this.anyPort.set(hostname, provider);
      }
    }
  }

  /** The listed host a request's authority (`host[:port]`) goes to, or undefined. */
  match(authority: string): HostMatch | undefined {
    // Runs for every request while the backstop is on: no string is built for a host that is
    // not listed (the port entries are looked up by the authority itself).
    const lower = authority.toLowerCase();
    const colon = lower.lastIndexOf(':');
    const portAt = colon > 0 && lower.charCodeAt(lower.length - 1) !== 93 /* ] */ ? colon : -1;
    let hostname = portAt < 0 ? lower : lower.slice(0, portAt);
    if (hostname.charCodeAt(hostname.length - 1) === 46 /* . */) hostname = hostname.slice(0, -1);
    const provider =
      (portAt >= 0 && this.withPort.size > 0 ? this.withPort.get(lower) : undefined) ??
      this.anyPort.get(hostname) ??
      (this.wildcards.length > 0 ? this.wildcard(hostname, lower, portAt) : undefined);
    return provider === undefined ? undefined : { hostname, provider };
  }

  private wildcard(hostname: string, authority: string, portAt: number): string | undefined {
    for (const w of this.wildcards) {
      const end = hostname.length - w.suffix.length;
      if (
        end > w.prefix.length &&
        hostname.endsWith(w.suffix) &&
        hostname.startsWith(w.prefix) &&
        // `*` is part of one label: no dot before the suffix.
        hostname.indexOf('.', w.prefix.length) >= end &&
        (w.port === undefined || (portAt >= 0 && authority.slice(portAt + 1) === w.port))
      ) {
        return w.provider;
      }
    }
    return undefined;
  }
}
