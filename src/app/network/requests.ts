/**
 * The host a request goes to, read from the diagnostics_channel messages Node publishes for it.
 * Only the authority is read, and the path only to be compared with OpenAI's trace ingest path:
 * never kept, nor the query string, the headers' values or the body.
 */

/**
 * Where @openai/agents uploads its traces (with fetch, from a batch processor's timer): telemetry
 * about model calls the openai patch already saw, not a model call, so not a request to report.
 */
const TRACE_INGEST_PATH = '/v1/traces/ingest';

function isTraceUpload(path: unknown): boolean {
  if (typeof path !== 'string') return false;
  const query = path.indexOf('?');
  return (query < 0 ? path : path.slice(0, query)).endsWith(TRACE_INGEST_PATH);
}

/**
 * `undici:request:create`: `request.origin` is `scheme://host[:port]`, a string or a URL.
 * Undefined for a trace upload, which is not a model call.
 */
export function undiciAuthority(message: unknown): string | undefined {
  const request = (message as { request?: { origin?: unknown; path?: unknown } } | null)?.request;
  if (isTraceUpload(request?.path)) return undefined;
  const origin = request?.origin;
  if (typeof origin === 'string') {
    const start = origin.indexOf('//');
    if (start < 0) return undefined;
    const end = origin.indexOf('/', start + 2);
    return origin.slice(start + 2, end < 0 ? undefined : end);
  }
  const host = (origin as { host?: unknown } | null | undefined)?.host;
  return typeof host === 'string' ? host : undefined;
}

interface ClientRequestLike {
  host?: unknown;
  path?: unknown;
  getHeader?(name: string): unknown;
}

/**
 * `http.client.request.created` / `.start`: a ClientRequest. Its Host header is `host[:port]` as
 * the server gets it (the port unless it is the default); without one (setHost: false), the host.
 * Undefined for a trace upload, as above.
 */
export function httpAuthority(message: unknown): string | undefined {
  const request = (message as { request?: ClientRequestLike } | null)?.request;
  if (request === undefined || request === null || isTraceUpload(request.path)) return undefined;
  const header = typeof request.getHeader === 'function' ? request.getHeader('host') : undefined;
  if (typeof header === 'string' && header.length > 0) return header;
  return typeof request.host === 'string' ? request.host : undefined;
}
