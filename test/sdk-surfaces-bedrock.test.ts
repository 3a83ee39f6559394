import * as path from 'node:path';
import { bedrockEntry, clientConfig, loadBedrock } from './helpers/bedrock';
import { useGuard } from './helpers/guard';
import { objectSurface } from './helpers/object-surface';
import type { SurfaceMethod } from './helpers/surface';
import { describeSurface, fixedShapes } from './helpers/surface-walk';

type Command = new (input: object) => object;
type Sender = { send(command: object): Promise<unknown> };

/**
 * Every Command the installed @aws-sdk/client-bedrock-runtime 3 exports, sent through
 * `BedrockRuntimeClient.send`, and every method of the aggregated `BedrockRuntime` client.
 * The client's default handler speaks HTTP/2 only; the walk gives it smithy's HTTP/1 handler
 * so it can use the counting server (the guard's chokepoint, `send`, is above the handler).
 */
describeSurface({
  label: '@aws-sdk/client-bedrock-runtime 3',
  load() {
    const mod = loadBedrock();
    useGuard({ mode: 'block' });
    const { NodeHttpHandler } = require(
      require.resolve('@smithy/node-http-handler', { paths: [path.dirname(bedrockEntry())] }),
    ) as { NodeHttpHandler: new (options: object) => object };
    const exports = mod as unknown as Record<string, unknown>;
    const makeClient = (endpoint: string) => {
      const config = {
        ...clientConfig(endpoint),
        requestHandler: new NodeHttpHandler({ requestTimeout: 5000 }),
      };
      return { client: new mod.BedrockRuntimeClient(config), aggregated: new mod.BedrockRuntime(config) };
    };
    const commands: SurfaceMethod[] = Object.keys(exports)
      .filter(
        (name) => name.endsWith('Command') && name !== '$Command' && typeof exports[name] === 'function',
      )
      .map((name) => ({
        name: `client.send(${name})`,
        call: (c, args) =>
          (c as { client: Sender }).client.send(new (exports[name] as Command)(args[0] as object)),
      }));
    const aggregated = objectSurface(makeClient('http://127.0.0.1:9/unused'), {
      skip: (name) => name.startsWith('client') || name === 'aggregated.send',
    });
    return { makeClient, surface: [...commands, ...aggregated] };
  },
  shapes: fixedShapes([
    [
      {
        modelId: 'anthropic.claude-test-v1:0',
        invocationArn: 'arn:aws:bedrock:us-east-1:1:async-invoke/id_1',
        guardrailIdentifier: 'id_1',
        guardrailVersion: '1',
        source: 'INPUT',
        content: [],
        messages: [],
        body: '{}',
        input: { converse: { messages: [] } },
        modelInput: {},
        outputDataConfig: { s3OutputDataConfig: { s3Uri: 's3://bucket/key' } },
      },
    ],
  ]),
  minReaching: 0.8,
  callSitePrefix: 'bedrock.',
});
