import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { attest, disableGuard, MimaAttestationError, MimaGovernance } from '../src';
import { isGuardWrapper } from '../src/app/patch';
import {
  clientConfig,
  loadBedrock,
  bedrockEntry,
  MODEL_ID,
  startMockBedrock,
  type BedrockModule,
  type MockBedrock,
} from './helpers/bedrock';
import { FIXTURES, runRegisteredApp } from './helpers/esm-app';
import { captureWarnings, clearRecords, LOG_FILE, readRecords, useGuard } from './helpers/guard';
import { CANARY } from './helpers/openai';
import { recordSpans } from './helpers/spans';

type Callback = (error: unknown, data?: unknown) => void;
/** send()'s callback forms, which the SDK's types overload apart from the promise form. */
type CallbackSend = (command: object, optionsOrCallback: object | Callback, callback?: Callback) => void;

describe('@aws-sdk/client-bedrock-runtime 3.x', () => {
  let mod: BedrockModule;
  let server: MockBedrock;
  let client: InstanceType<BedrockModule['BedrockRuntimeClient']>;
  let aggregated: InstanceType<BedrockModule['BedrockRuntime']>;

  const messages = [{ role: 'user' as const, content: [{ text: CANARY }] }];
  const converse = () => new mod.ConverseCommand({ modelId: MODEL_ID, messages });
  const converseStream = () => new mod.ConverseStreamCommand({ modelId: MODEL_ID, messages });
  const invokeBody = JSON.stringify({ prompt: CANARY });
  const invokeModel = () =>
    new mod.InvokeModelCommand({ modelId: MODEL_ID, contentType: 'application/json', body: invokeBody });
  const invokeModelStream = () =>
    new mod.InvokeModelWithResponseStreamCommand({
      modelId: MODEL_ID,
      contentType: 'application/json',
      body: invokeBody,
    });
  const callbackSend = (): CallbackSend => client.send.bind(client) as unknown as CallbackSend;

  before(async () => {
    mod = loadBedrock();
    server = await startMockBedrock();
    client = new mod.BedrockRuntimeClient(clientConfig(server.endpoint));
    aggregated = new mod.BedrockRuntime(clientConfig(server.endpoint));
  });

  beforeEach(async () => {
    server.requests.length = 0;
    await clearRecords();
  });

  after(async () => {
    client.destroy();
    aggregated.destroy();
    await server.close();
    useGuard({ mode: 'warn' });
  });

  it('speaks HTTP/2 through NodeHttp2Handler by default, which the h2c mock serves', async () => {
    assert.equal(client.config.requestHandler.constructor.name, 'NodeHttp2Handler');
    const answer = await attest(() => client.send(converse()))();
    assert.equal(answer.output?.message?.content?.[0].text, 'hello');
  });

  it('wraps send on BedrockRuntimeClient itself, never on smithy’s Client that every AWS client shares', async () => {
    useGuard({ mode: 'block' });
    const Client = mod.__Client as unknown as new (config: object) => {
      send(command: object): Promise<unknown>;
    };
    assert.ok(Object.hasOwn(mod.BedrockRuntimeClient.prototype, 'send'));
    assert.ok(isGuardWrapper(mod.BedrockRuntimeClient.prototype.send));
    assert.equal(isGuardWrapper(Client.prototype.send), false);
    assert.equal(
      Object.hasOwn(mod.BedrockRuntime.prototype, 'send'),
      false,
      'the aggregated client inherits it',
    );
    // Another service's client: its command resolves to a handler, with no check on the way.
    class OtherServiceClient extends Client {}
    const command = { resolveMiddleware: () => async () => ({ output: 'sent' }) };
    assert.equal(await new OtherServiceClient({}).send(command), 'sent');
    assert.deepEqual(await readRecords(), []);
  });

  it('block mode rejects Converse with MimaAttestationError before any request leaves', async () => {
    useGuard({ mode: 'block' });
    const promise = client.send(converse());
    assert.ok(promise instanceof Promise, 'a promise, as send() returns');
    await assert.rejects(promise, (error: unknown) => {
      assert.ok(error instanceof MimaAttestationError);
      assert.equal(error.callSite, 'bedrock.BedrockRuntimeClient.converse');
      assert.match(error.message, /bedrock\.test\.js:\d+/, 'names the user file:line');
      assert.match(error.message, /attest\(\)/, 'names the fix');
      return true;
    });
    assert.deepEqual(server.requests, [], 'no request reached the server');
    const [record] = await readRecords();
    assert.equal(record.call_site, 'bedrock.BedrockRuntimeClient.converse');
    assert.equal(record.blocked, true);
  });

  it('block mode is delivered as a rejection, never a synchronous throw', async () => {
    useGuard({ mode: 'block' });
    let promise: Promise<unknown> | undefined;
    assert.doesNotThrow(() => {
      promise = client.send(invokeModel());
    });
    await assert.rejects(promise!, MimaAttestationError);
  });

  it('block mode stops ConverseStream and InvokeModelWithResponseStream before any request', async () => {
    useGuard({ mode: 'block' });
    await assert.rejects(client.send(converseStream()), MimaAttestationError);
    await assert.rejects(client.send(invokeModelStream()), MimaAttestationError);
    assert.deepEqual(server.requests, []);
    assert.deepEqual(
      (await readRecords()).map((r) => r.call_site),
      [
        'bedrock.BedrockRuntimeClient.converseStream',
        'bedrock.BedrockRuntimeClient.invokeModelWithResponseStream',
      ],
    );
  });

  it('lets an attested ConverseStream stream its events', async () => {
    useGuard({ mode: 'block' });
    const text = await attest(async () => {
      const response = await client.send(converseStream());
      let received = '';
      for await (const event of response.stream ?? []) received += event.contentBlockDelta?.delta?.text ?? '';
      return received;
    })();
    assert.equal(text, 'hello');
    assert.equal(server.requests.length, 1);
  });

  it('delivers the block to a send() callback later, as the SDK delivers its own errors', async () => {
    useGuard({ mode: 'block' });
    const forms: Array<(send: CallbackSend, callback: Callback) => void> = [
      (send, callback) => send(converse(), callback),
      (send, callback) => send(converse(), {}, callback),
    ];
    for (const form of forms) {
      let calledBack = false;
      let returned: unknown = 'nothing yet';
      const error = new Promise((resolve) => {
        returned = form(callbackSend(), (reason) => {
          calledBack = true;
          resolve(reason);
        });
      });
      assert.equal(returned, undefined, 'send() returns nothing in the callback form');
      assert.equal(calledBack, false, 'not called back synchronously');
      assert.ok((await error) instanceof MimaAttestationError);
    }
    assert.deepEqual(server.requests, []);
    const [sdkError, data] = await attest(
      () => new Promise<unknown[]>((resolve) => callbackSend()(converse(), (...args) => resolve(args))),
    )();
    assert.equal(sdkError, null, 'an attested callback call gets (null, output)');
    assert.equal((data as { stopReason?: string }).stopReason, 'end_turn');
  });

  it('checks the aggregated BedrockRuntime client’s methods, which call send()', async () => {
    useGuard({ mode: 'block' });
    const answer = await attest(() => aggregated.converse({ modelId: MODEL_ID, messages }))();
    assert.equal(answer.stopReason, 'end_turn');
    assert.equal(server.requests.length, 1);
    await assert.rejects(
      aggregated.converse({ modelId: MODEL_ID, messages }),
      (error: MimaAttestationError) => error.callSite === 'bedrock.BedrockRuntimeClient.converse',
    );
    const viaCallback = await new Promise((resolve) =>
      aggregated.invokeModel({ modelId: MODEL_ID, body: invokeBody }, (error: unknown) => resolve(error)),
    );
    assert.ok(viaCallback instanceof MimaAttestationError);
    assert.equal(server.requests.length, 1, 'the unattested calls sent nothing');
  });

  it('names every command’s call site after the command', async () => {
    useGuard({ mode: 'block' });
    const calls: Array<[string, object]> = [
      ['converse', converse()],
      ['converseStream', converseStream()],
      ['invokeModel', invokeModel()],
      ['invokeModelWithResponseStream', invokeModelStream()],
      ['countTokens', new mod.CountTokensCommand({ modelId: MODEL_ID, input: { converse: { messages } } })],
      [
        'applyGuardrail',
        new mod.ApplyGuardrailCommand({
          guardrailIdentifier: 'g',
          guardrailVersion: '1',
          source: 'INPUT',
          content: [{ text: { text: CANARY } }],
        }),
      ],
      [
        'startAsyncInvoke',
        new mod.StartAsyncInvokeCommand({
          modelId: MODEL_ID,
          modelInput: { prompt: CANARY },
          outputDataConfig: { s3OutputDataConfig: { s3Uri: 's3://bucket/out' } },
        }),
      ],
      ['getAsyncInvoke', new mod.GetAsyncInvokeCommand({ invocationArn: 'arn' })],
      ['listAsyncInvokes', new mod.ListAsyncInvokesCommand({})],
    ];
    for (const [command, call] of calls) {
      await assert.rejects(
        client.send(call as InstanceType<BedrockModule['ConverseCommand']>),
        (error: MimaAttestationError) => error.callSite === `bedrock.BedrockRuntimeClient.${command}`,
      );
    }
    assert.deepEqual(server.requests, []);
  });

  it('warn mode warns once per code location, lets the call through and reports every call', async () => {
    useGuard({ mode: 'warn' });
    const capture = captureWarnings();
    try {
      for (let i = 0; i < 3; i++) await client.send(converse());
      await capture.settle();
    } finally {
      capture.stop();
    }
    assert.equal(server.requests.length, 3);
    assert.equal(capture.warnings.length, 1, 'one warning for one (call site, location)');
    assert.match(
      capture.warnings[0].message,
      /bedrock\.BedrockRuntimeClient\.converse at .*bedrock\.test\.js:\d+/,
    );
    const records = await readRecords();
    assert.equal(records.length, 3);
    assert.ok(records.every((r) => r.call_site === 'bedrock.BedrockRuntimeClient.converse' && !r.blocked));
  });

  it('report mode is silent, lets the call through and writes the JSONL record', async () => {
    useGuard({ mode: 'report' });
    const capture = captureWarnings();
    try {
      const response = await client.send(invokeModel());
      assert.deepEqual(JSON.parse(Buffer.from(response.body).toString()), { completion: 'hello' });
      await capture.settle();
    } finally {
      capture.stop();
    }
    assert.equal(server.requests.length, 1);
    assert.equal(capture.warnings.length, 0);
    const [record] = await readRecords();
    assert.equal(record.call_site, 'bedrock.BedrockRuntimeClient.invokeModel');
    assert.equal(record.mode, 'report');
    assert.equal(record.blocked, false);
    assert.match(record.code_file ?? '', /bedrock\.test\.js$/);
  });

  it('treats every call through a client passed to MimaGovernance.wrap as attested', async () => {
    useGuard({ mode: 'block' });
    const wrapped = new MimaGovernance({ systemName: 'test' }).wrap(
      new mod.BedrockRuntimeClient(clientConfig(server.endpoint)),
    );
    try {
      await wrapped.send(converse());
      assert.equal(server.requests.length, 1);
    } finally {
      wrapped.destroy();
    }
    await assert.rejects(client.send(converse()), MimaAttestationError);
  });

  it('disable gives BedrockRuntimeClient smithy’s send back by inheritance; enable patches it again', async () => {
    const proto = mod.BedrockRuntimeClient.prototype;
    await disableGuard();
    try {
      assert.equal(Object.hasOwn(proto, 'send'), false, 'no own send left on the subclass');
      assert.equal(proto.send, mod.__Client.prototype.send);
      await client.send(converse());
      assert.equal(server.requests.length, 1, 'the unpatched client sends');
    } finally {
      useGuard({ mode: 'block' });
    }
    assert.ok(Object.hasOwn(proto, 'send') && isGuardWrapper(proto.send));
    await assert.rejects(client.send(converse()), MimaAttestationError);
    assert.equal(server.requests.length, 1);
  });

  it('still runs a later wrapper of smithy’s Client.send (another instrumentation’s) on an attested call', async () => {
    useGuard({ mode: 'block' });
    const base = mod.__Client.prototype as unknown as { send: (...args: unknown[]) => unknown };
    const smithySend = base.send;
    let seenByLaterWrapper = 0;
    base.send = function (this: unknown, ...args: unknown[]) {
      seenByLaterWrapper++;
      return smithySend.apply(this, args);
    };
    try {
      await attest(() => client.send(converse()))();
    } finally {
      base.send = smithySend;
    }
    assert.equal(seenByLaterWrapper, 1);
    assert.equal(server.requests.length, 1);
  });

  describe('mima.ai_call span', () => {
    const { exporter } = recordSpans({ mode: 'block' });

    const spanAttributes = () =>
      exporter.getFinishedSpans().map((span) => {
        const keys = [
          'mima.call_site',
          'gen_ai.provider.name',
          'gen_ai.operation.name',
          'gen_ai.request.model',
        ];
        return Object.fromEntries(keys.map((key) => [key, span.attributes[key]]));
      });

    it('carries aws.bedrock, the operation and the request model', async () => {
      useGuard({ mode: 'block' });
      await assert.rejects(client.send(converseStream()), MimaAttestationError);
      await assert.rejects(client.send(invokeModel()), MimaAttestationError);
      await assert.rejects(
        client.send(
          new mod.ApplyGuardrailCommand({
            guardrailIdentifier: 'g',
            guardrailVersion: '1',
            source: 'INPUT',
            content: [],
          }),
        ),
        MimaAttestationError,
      );
      assert.deepEqual(spanAttributes(), [
        {
          'mima.call_site': 'bedrock.BedrockRuntimeClient.converseStream',
          'gen_ai.provider.name': 'aws.bedrock',
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': MODEL_ID,
        },
        {
          'mima.call_site': 'bedrock.BedrockRuntimeClient.invokeModel',
          'gen_ai.provider.name': 'aws.bedrock',
          'gen_ai.operation.name': 'invoke_model',
          'gen_ai.request.model': MODEL_ID,
        },
        {
          'mima.call_site': 'bedrock.BedrockRuntimeClient.applyGuardrail',
          'gen_ai.provider.name': 'aws.bedrock',
          'gen_ai.operation.name': 'apply_guardrail',
          'gen_ai.request.model': undefined,
        },
      ]);
    });

    it('keeps the prompt out of every record, span, warning and error', async () => {
      const capture = captureWarnings();
      const errors: unknown[] = [];
      try {
        useGuard({ mode: 'warn', warnOnce: false });
        await client.send(converse());
        useGuard({ mode: 'report' });
        await client.send(invokeModel());
        useGuard({ mode: 'block' });
        await client.send(converse()).catch((error: unknown) => errors.push(error));
        await new Promise((resolve) => callbackSend()(invokeModel(), (error) => resolve(errors.push(error))));
        await capture.settle();
      } finally {
        capture.stop();
        useGuard({ mode: 'block' });
      }
      await readRecords();
      const spans = exporter.getFinishedSpans().map((s) => ({ attributes: s.attributes, events: s.events }));
      assert.equal(spans.length, 4);
      assert.equal(capture.warnings.length, 1);
      assert.equal(errors.length, 2);
      const seen = [
        JSON.stringify(spans),
        fs.readFileSync(LOG_FILE, 'utf8'),
        ...capture.warnings.map((w) => `${w.message}\n${w.stack}`),
        ...errors.map((e) => `${(e as Error).message}\n${(e as Error).stack}`),
      ];
      assert.ok(seen[1].includes('bedrock.BedrockRuntimeClient.invokeModel'), 'report mode wrote its record');
      for (const text of seen) assert.ok(!text.includes(CANARY));
    });
  });

  describe('ES module apps (node --import …/register)', () => {
    /** Runs the app in block mode; `how`: import, require, or both in one process. */
    function runApp(how: 'import' | 'path' | 'require' | 'both') {
      const output = runRegisteredApp(path.join(FIXTURES, 'bedrock', 'app.mjs'), [how], {
        // The SDK's notice that its 2027 releases need Node 22: not this test's output.
        env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      });
      return JSON.parse(output) as Record<string, unknown>;
    }

    const blocked = {
      attested: 'hello',
      unattested: 'MimaAttestationError:bedrock.BedrockRuntimeClient.converse',
      stream: 'MimaAttestationError:bedrock.BedrockRuntimeClient.converseStream',
      aggregated: 'MimaAttestationError:bedrock.BedrockRuntimeClient.converse',
      unattestedRequests: 0,
    };
    const entryPatchPoint = ['@aws-sdk/client-bedrock-runtime#BedrockRuntimeClient.send'];

    it('patches `import … from "@aws-sdk/client-bedrock-runtime"` and blocks its unattested calls', () => {
      const result = runApp('import');
      assert.equal(result.entry, bedrockEntry(), 'the app loads the workspace’s package');
      assert.deepEqual(result.import, blocked);
      assert.deepEqual(result.patchPoints, entryPatchPoint);
    });

    it('patches an import of the entry file by its URL, which the hooks see as the file', () => {
      const result = runApp('path');
      assert.deepEqual(result.import, blocked);
      assert.deepEqual(result.patchPoints, ['dist-cjs/index.js#BedrockRuntimeClient.send']);
    });

    it('patches a CommonJS require() under the same loader', () => {
      const result = runApp('require');
      assert.deepEqual(result.require, blocked);
      assert.deepEqual(result.patchPoints, entryPatchPoint);
    });

    it('patches the one class that import and require share in one process', () => {
      const result = runApp('both');
      assert.equal(result.sameClass, true, 'Node loads the CommonJS bundle for both');
      assert.deepEqual(result.import, blocked);
      assert.deepEqual(result.require, blocked);
      assert.deepEqual(result.patchPoints, entryPatchPoint);
    });
  });
});
