import nock from 'nock';

export interface CountingReplyOptions {
  /** How many requests the interceptor answers. */
  times?: number;
  headers?: Record<string, string>;
  /** Milliseconds before each reply, to keep calls in flight together. */
  delay?: number;
}

/**
 * Answers POSTs to origin + path with 200 and reply's body, counting the requests that really
 * left the client: a blocked call must leave `requests` at 0.
 */
export function countingReply(
  origin: string,
  path: string | RegExp,
  reply: (requestBody: nock.Body) => nock.ReplyBody,
  { times = 1, headers, delay }: CountingReplyOptions = {},
): { requests: number } {
  const seen = { requests: 0 };
  let interceptor = nock(origin).post(path).times(times);
  if (delay !== undefined) interceptor = interceptor.delay(delay);
  interceptor.reply(
    200,
    (_uri, requestBody) => {
      seen.requests++;
      return reply(requestBody);
    },
    headers,
  );
  return seen;
}
