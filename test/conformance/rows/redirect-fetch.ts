/**
 * Sends the global fetch's requests for `https://<host>` to the plain-HTTP mock at `origin`, for an
 * SDK that always sends to its own HTTPS host (Vertex AI's `https://<apiEndpoint>`, a Gemini SDK
 * version without `baseUrl`). The SDK calls the global fetch at request time, so everything up to
 * the socket is the SDK's own code; and no request of a row ever leaves for the real service.
 */
export function sendHostTo(host: string, origin: string): void {
  const fetch = globalThis.fetch;
  const prefix = `https://${host}`;
  globalThis.fetch = (input, init) => {
    const url = input instanceof URL ? input.href : input;
    const sent =
      typeof url === 'string' && url.startsWith(prefix) ? origin + url.slice(prefix.length) : input;
    return fetch(sent, init);
  };
}
