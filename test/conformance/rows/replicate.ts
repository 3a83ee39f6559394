import { CANARY } from '../../helpers/openai';
import type { ConformanceRow, MockReply } from '../row';

/** owner/name:version, the one reference form every supported version's run() reads. */
const VERSION = '0a1b2c3d';
const REF = `acme/chat:${VERSION}`;
const input = { prompt: CANARY };

/** The mock's origin, for the prediction's stream URL: the mock answers in this same process. */
let streamOrigin = '';

const prediction = (output: unknown): MockReply => ({
  type: 'application/json',
  body: JSON.stringify({
    id: 'p-1',
    status: 'succeeded',
    output,
    urls: { get: `${streamOrigin}/v1/predictions/p-1`, stream: `${streamOrigin}/stream` },
  }),
});

/** Predictions finish at once (no polling); a prediction's stream is server-sent output events. */
function reply(path: string): MockReply {
  if (path === '/stream') {
    const body = ['hel', 'lo'].map((data) => `event: output\ndata: ${data}\n\n`).join('');
    return { type: 'text/event-stream', body: `${body}event: done\ndata: {}\n\n` };
  }
  if (path.startsWith('/v1/deployments/')) return prediction('deployed');
  return prediction('hello');
}

/** The output events of a prediction's stream URL, read as 0.20's README shows (before stream()). */
async function readStreamUrl(url: string): Promise<string> {
  const response = await fetch(url, { headers: { accept: 'text/event-stream' } });
  const events = (await response.text()).split('\n\n');
  return events
    .filter((event) => event.startsWith('event: output\n'))
    .map((event) => event.slice('event: output\ndata: '.length))
    .join('');
}

/** CommonJS only: 'esm' is an ES module app importing it. */
export const replicateRow: ConformanceRow = {
  name: 'replicate',
  module: 'replicate',
  versionDirs: ['inference-clients'],
  moduleSystems: ['cjs', 'esm'],
  server: 'http',
  reply,
  client: ({ sdk, origin }) => {
    streamOrigin = origin;
    const Replicate = sdk.default ?? sdk;
    return new Replicate({ auth: 'r8_test', baseUrl: `${origin}/v1`, useFileOutput: false });
  },
  call: async (client) => client.run(REF, { input }),
  stream: async (client) => {
    let text = '';
    if (typeof client.stream === 'function') {
      for await (const event of client.stream(REF, { input })) text += String(event);
      return text;
    }
    // Before stream() (1.0 and earlier 0.x): a prediction created with stream: true, then its URL.
    const created = await client.predictions.create({ version: VERSION, input, stream: true });
    return readStreamUrl(created.urls.stream);
  },
  helpers: [
    {
      name: 'predictions.create',
      run: async (client) => (await client.predictions.create({ version: VERSION, input })).output,
    },
    {
      name: 'deployments.predictions.create',
      run: async (client) =>
        (await client.deployments.predictions.create('acme', 'prod', { input })).output === 'deployed'
          ? 'hello'
          : 'wrong deployment',
    },
  ],
  expect: {
    callSite: 'replicate.Replicate.predictions',
    provider: 'replicate',
    operation: 'prediction',
    model: VERSION,
  },
};
