import { clientConfig, MODEL_ID } from '../../helpers/bedrock';
import { CANARY } from '../../helpers/openai';
import type { ConformanceRow } from '../row';

const converse = { modelId: MODEL_ID, messages: [{ role: 'user', content: [{ text: CANARY }] }] };
/** InvokeModel is in every 3.x (Converse came in 3.588); the body is the model's own JSON. */
const invoke = {
  modelId: MODEL_ID,
  contentType: 'application/json',
  body: JSON.stringify({ prompt: CANARY }),
};

const completion = (bytes: Uint8Array) =>
  (JSON.parse(Buffer.from(bytes).toString('utf8')) as { completion: string }).completion;

/** Served by the HTTP/2 stand-in (test/helpers/bedrock.ts), since the SDK's Node handler speaks HTTP/2. */
export const bedrockRow: ConformanceRow = {
  name: 'bedrock',
  module: '@aws-sdk/client-bedrock-runtime',
  versionDirs: ['bedrock-3'],
  moduleSystems: ['cjs', 'esm'],
  server: 'bedrock',
  client: ({ sdk, origin }) => new sdk.BedrockRuntimeClient(clientConfig(origin)),
  call: async (client, { sdk }) => completion((await client.send(new sdk.InvokeModelCommand(invoke))).body),
  stream: async (client, { sdk }) => {
    let text = '';
    const response = await client.send(new sdk.InvokeModelWithResponseStreamCommand(invoke));
    for await (const event of response.body) if (event.chunk) text += completion(event.chunk.bytes);
    return text;
  },
  helpers: [
    {
      name: 'Converse API',
      available: (_client, { sdk }) => typeof sdk.ConverseCommand === 'function',
      run: async (client, { sdk }) =>
        (await client.send(new sdk.ConverseCommand(converse))).output.message.content[0].text,
    },
    {
      name: 'BedrockRuntime aggregated client',
      run: async (_client, { sdk, origin }) =>
        completion((await new sdk.BedrockRuntime(clientConfig(origin)).invokeModel(invoke)).body),
    },
  ],
  expect: {
    callSite: 'bedrock.BedrockRuntimeClient.invokeModel',
    streamCallSite: 'bedrock.BedrockRuntimeClient.invokeModelWithResponseStream',
    provider: 'aws.bedrock',
    operation: 'invoke_model',
    model: MODEL_ID,
  },
};
