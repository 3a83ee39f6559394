import * as assert from 'node:assert/strict';
import { attest } from '../src';
import { AI_7_RUNS_HERE, aiWorkspace } from './helpers/ai';
import { startProviderServer, type ProviderServer } from './helpers/ai-provider-server';
import { callSites, isBlockedAt, PROMPT, requireFrom, type Factory } from './helpers/ai-providers';
import { useGuard } from './helpers/guard';
import { isolateSdkTests } from './helpers/sdk-suite';

/** @ai-sdk/amazon-bedrock 5 (ES module only): signs with aws4fetch over fetch, not the AWS SDK. */
(AI_7_RUNS_HERE ? describe : describe.skip)(
  `@ai-sdk/amazon-bedrock 5.x${AI_7_RUNS_HERE ? '' : ' (skipped: needs Node 22+)'}`,
  () => {
    let server: ProviderServer;
    let bedrock: Factory;

    before(async () => {
      server = await startProviderServer();
      useGuard();
      bedrock = requireFrom(aiWorkspace(7), '@ai-sdk/amazon-bedrock').createAmazonBedrock({
        baseURL: server.baseURL,
        region: 'us-east-1',
        accessKeyId: 'AKIDEXAMPLE',
        secretAccessKey: 'test-secret',
      }) as Factory;
    });
    beforeEach(() => server.reset());
    after(() => server.close());
    isolateSdkTests();

    it('attested: the SigV4-signed converse request goes out untouched', async () => {
      useGuard({ mode: 'block' });
      const result = await attest(() => bedrock('anthropic.claude-test').doGenerate(PROMPT))();
      assert.deepEqual(result.content, [{ type: 'text', text: 'hello' }]);
      assert.equal(server.requests.get('/model/anthropic.claude-test/converse'), 1);
      assert.deepEqual(server.authSchemes, ['AWS4-HMAC-SHA256'], 'signed by aws4fetch');
      assert.deepEqual(await callSites(), []);
    });

    it('@ai-sdk/amazon-bedrock/anthropic (Anthropic’s API on Bedrock): blocked before any request', async () => {
      useGuard({ mode: 'block' });
      const { createBedrockAnthropic } = requireFrom(aiWorkspace(7), '@ai-sdk/amazon-bedrock/anthropic');
      const model = (createBedrockAnthropic({ baseURL: server.baseURL, region: 'us-east-1' }) as Factory)(
        'anthropic.claude-test',
      );
      await assert.rejects(
        async () => model.doGenerate(PROMPT),
        isBlockedAt('ai-sdk.amazon-bedrock.doGenerate'),
      );
      assert.equal(server.total(), 0);
    });
  },
);
