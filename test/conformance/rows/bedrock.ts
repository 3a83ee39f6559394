import { clientConfig, MODEL_ID } from '../../helpers/bedrock';
import { CANARY } from '../../helpers/openai';
import type { ConformanceRow } from '../row';

const converse = { modelId: MODEL_ID, messages: [{ role: 'user', content: [{ text: CANARY }] }] };

/** Served by the HTTP/2 stand-in (test/helpers/bedrock.ts), since the SDK's Node handler speaks HTTP/2. */
export const bedrockRow: ConformanceRow = {
  name: 'bedrock',
  module: '@aws-sdk/client-bedrock-runtime',
  versionDirs: ['bedrock-3'],
  moduleSystems: ['cjs', 'esm'],
  server: 'bedrock',
  client: ({ sdk, origin }) => new sdk.BedrockRuntimeClient(clientConfig(origin)),
  call: async (client, { sdk }) =>
    (await client.send(new sdk.ConverseCommand(converse))).output.message.content[0].text,
  stream: async (client, { sdk }) => {
    let text = '';
    const response = await client.send(new sdk.ConverseStreamCommand(converse));
    for await (const event of response.stream) text += event.contentBlockDelta?.delta?.text ?? '';
    return text;
  },
  helpers: [
    {
      name: 'BedrockRuntime aggregated client (converse)',
      run: async (_client, { sdk, origin }) =>
        (await new sdk.BedrockRuntime(clientConfig(origin)).converse(converse)).output.message.content[0]
          .text,
    },
  ],
  expect: {
    callSite: 'bedrock.BedrockRuntimeClient.converse',
    streamCallSite: 'bedrock.BedrockRuntimeClient.converseStream',
    provider: 'aws.bedrock',
    operation: 'chat',
    model: MODEL_ID,
  },
};
