import { GEN_AI_OPERATION_CHAT } from '../semconv';
import type { PatchTarget, SdkDefinition } from './definition';
import { snakeCase } from './path-text';

const VERSIONS = '>=3.0.0 <4';
const CLIENT_CLASS = 'BedrockRuntimeClient';

/**
 * InvokeModel's body decides whether the model chats, completes or embeds, and the guard never
 * reads it, so no predefined gen_ai.operation.name fits: the Bedrock operation's own name does.
 */
const OPERATION_INVOKE_MODEL = 'invoke_model';

/** gen_ai.operation.name per command; the others use their command name in snake_case. */
const OPERATION_BY_COMMAND: Record<string, string> = {
  converse: GEN_AI_OPERATION_CHAT,
  converseStream: GEN_AI_OPERATION_CHAT,
  invokeModel: OPERATION_INVOKE_MODEL,
  invokeModelWithResponseStream: OPERATION_INVOKE_MODEL,
  invokeModelWithBidirectionalStream: OPERATION_INVOKE_MODEL,
};

/**
 * @aws-sdk/client-bedrock-runtime sends every command through `client.send(command)`; the
 * aggregated `BedrockRuntime` client (a subclass) calls `this.send` from each method. The SDK
 * serves only model inference (the control plane is @aws-sdk/client-bedrock), so every command
 * counts as a model call. In Node both `import` and `require` load the CommonJS bundle
 * (dist-cjs/index.js, the package's main; it has no exports map, and Node ignores dist-es): the
 * hooks see it as the entry module when loaded by the bare name, as the file when by its path.
 */
export const bedrock: SdkDefinition = {
  module: '@aws-sdk/client-bedrock-runtime',
  supportedVersions: VERSIONS,
  patchPoints: [
    {
      versions: VERSIONS,
      files: ['dist-cjs/index.js'],
      inEntryModule: true,
      label: `${CLIENT_CLASS}.send`,
      locate: subclassSend,
    },
  ],
  callSites: [
    'bedrock.BedrockRuntimeClient.converse',
    'bedrock.BedrockRuntimeClient.converseStream',
    'bedrock.BedrockRuntimeClient.invokeModel',
    'bedrock.BedrockRuntimeClient.invokeModelWithResponseStream',
    'bedrock.BedrockRuntimeClient.<command>',
  ],
  // `send` on the client, and the aggregated client's command methods (converse(), …), which call
  // this.send; its other inherited methods (destroy) send nothing.
  userApi: {
    prefix: 'bedrock',
    clients: [CLIENT_CLASS, 'BedrockRuntime'],
    classes: [{ names: [CLIENT_CLASS], methods: ['send'] }, { names: ['BedrockRuntime'] }],
  },
  describe(_self, args) {
    const command = commandName(args[0]);
    return {
      callSite: `bedrock.${CLIENT_CLASS}.${command}`,
      provider: 'aws.bedrock',
      operation: Object.hasOwn(OPERATION_BY_COMMAND, command)
        ? OPERATION_BY_COMMAND[command]
        : snakeCase(command),
      model: modelId(args[0]),
    };
  },
  // send(command, options?) returns a promise that rejects with the SDK's errors. With a callback
  // (send(command, cb) or send(command, options, cb)) it returns nothing and calls back with the
  // error from a later microtask, swallowing whatever the callback throws: so does this.
  fail(_original, _self, args, error) {
    const callback = typeof args[1] === 'function' ? args[1] : args[2];
    if (typeof callback !== 'function') return Promise.reject(error);
    Promise.reject(error)
      .catch((reason: unknown) => callback(reason))
      .catch(() => undefined);
    return undefined;
  },
};

/**
 * `send` is inherited from smithy's `Client`, the base of every AWS client: the wrapper goes on
 * BedrockRuntimeClient's own prototype, so other AWS clients never pass through it.
 */
function subclassSend(exports: unknown): PatchTarget[] {
  const cls = (exports as Record<string, unknown> | null | undefined)?.[CLIENT_CLASS];
  const proto = typeof cls === 'function' ? (cls.prototype as unknown) : undefined;
  if (proto === null || typeof proto !== 'object') return [];
  return typeof (proto as { send?: unknown }).send === 'function' ? [{ owner: proto, method: 'send' }] : [];
}

/** `InvokeModelWithResponseStreamCommand` → `invokeModelWithResponseStream`. */
function commandName(command: unknown): string {
  const name = (command as { constructor?: { name?: unknown } } | null | undefined)?.constructor?.name;
  if (typeof name !== 'string') return 'unknown';
  const bare = name.endsWith('Command') ? name.slice(0, -'Command'.length) : name;
  return bare ? bare[0].toLowerCase() + bare.slice(1) : 'unknown';
}

/** The command's `modelId` (an id or ARN); the rest of the input is content and is never read. */
function modelId(command: unknown): string | undefined {
  const input = (command as { input?: unknown } | null | undefined)?.input;
  const id =
    input !== null && typeof input === 'object' ? (input as { modelId?: unknown }).modelId : undefined;
  return typeof id === 'string' ? id : undefined;
}
