/**
 * The host a request goes to, read from the diagnostics_channel messages Node publishes for it.
 * Only the authority is read: never the path, the query string, the headers' values or the body.
 */

/** `undici:request:create`: `request.origin` is `scheme://host[:port]`, a string or a URL. */
export function undiciAuthority(message: unknown): string | undefined {
  const origin = (message as { request?: { origin?: unknown } } | null)?.request?.origin;
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
  getHeader?(name: string): unknown;
}

/**
 * `http.client.request.created` / `.start`: a ClientRequest. Its Host header is `host[:port]` as
 * the server gets it (the port unless it is the default); without one (setHost: false), the host.
 */
export function httpAuthority(message: unknown): string | undefined {
  const request = (message as { request?: ClientRequestLike } | null)?.request;
  if (request === undefined || request === null) return undefined;
  const header = typeof request.getHeader === 'function' ? request.getHeader('host') : undefined;
  if (typeof header === 'string' && header.length > 0) return header;
  return typeof request.host === 'string' ? request.host : undefined;
}
