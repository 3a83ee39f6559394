// Run by test/otel-lines.test.ts under `node --import <guard>/register`: an ES module app on
// OpenTelemetry JS 3 registers its TracerProvider after the guard started (API 1.10 has separate
// CommonJS and ES module builds). argv[2]: the chat-completion reply as JSON.
import * as http from 'node:http';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import OpenAI from 'openai';

const exporter = new InMemorySpanExporter();
const processor = new SimpleSpanProcessor({ exporter }); // 3.x: an options object
const sdk = new NodeSDK({ spanProcessors: [processor], instrumentations: [] });
sdk.start();

const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(process.argv[2]);
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const client = new OpenAI({
  apiKey: 'k',
  baseURL: `http://127.0.0.1:${server.address().port}/v1`,
  maxRetries: 0,
});
await client.chat.completions.create({ model: 'gpt-otel3', messages: [{ role: 'user', content: 'hi' }] });
await processor.forceFlush();
const spans = exporter.getFinishedSpans().map((s) => ({
  name: s.name,
  callSite: s.attributes['mima.call_site'],
  model: s.attributes['gen_ai.request.model'],
}));
await sdk.shutdown();
server.close();
process.stdout.write(JSON.stringify(spans));
