/**
 * The loopback mock OpenAI server, run as its own process (bench/loopback.ts starts it), so the
 * server side of a call never shares a process, an event loop or a context manager with the
 * client being measured. Answers every request with one small valid chat completion, over
 * keep-alive connections, on 127.0.0.1 only. Prints {"port":N} once listening; when its stdin
 * ends it prints {"requests":N} and exits.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

const BODY = Buffer.from(
  JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: 1,
    model: 'gpt-bench',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: 'pong', refusal: null },
        finish_reason: 'stop',
        logprobs: null,
      },
    ],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  }),
);

let requests = 0;
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    requests++;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': BODY.length });
    res.end(BODY);
  });
});
// Clients keep their sockets between calls; a scenario pauses at most a few seconds.
server.keepAliveTimeout = 60_000;

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});

process.stdin.resume();
process.stdin.on('end', () => {
  process.stdout.write(`${JSON.stringify({ requests })}\n`);
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
