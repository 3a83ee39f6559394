import { GEN_AI_OPERATION_INVOKE_AGENT } from '../semconv';
import { exportedFunctions, type SdkDefinition } from './definition';
import { standInExports } from './stand-in-exports';

/**
 * @anthropic-ai/claude-agent-sdk runs no model call in this process: `query()` spawns the Claude
 * Code executable (a bundled native binary, or `pathToClaudeCodeExecutable`, or the app's
 * `spawnClaudeCodeProcess`) and the model requests leave from that child, where neither the
 * guard's patches nor the network backstop can see them. So the check is made where the child is
 * requested, in this process: `query()`, and `startup()` / `prewarm()`, which start a Claude Code
 * process ahead of its prompt (the warm query or the claim then goes to that process, and counts
 * as attested when the start was). One record per call, however many model turns the session
 * runs. The package is ES module only: `sdk.mjs` is the entry (a single-file bundle), `core.mjs`
 * its `./core` export with its own copy of the functions.
 */
const VERSIONS = '>=0.1.0 <1';

const SESSION_FUNCTIONS = ['query', 'startup', 'prewarm'];

export const claudeAgentSdk: SdkDefinition = {
  module: '@anthropic-ai/claude-agent-sdk',
  supportedVersions: VERSIONS,
  patchPoints: [
    {
      versions: VERSIONS,
      files: ['sdk.mjs', 'core.mjs'],
      // require() of the package (an ES module) shows the entry hook a module namespace, whose
      // functions cannot be set: the app gets a stand-in with writable ones.
      inEntryModule: true,
      replaceExports: standInExports(SESSION_FUNCTIONS),
      ...exportedFunctions(...SESSION_FUNCTIONS),
    },
  ],
  callSites: SESSION_FUNCTIONS.map((name) => `claude-agent-sdk.${name}`),
  userApi: { prefix: 'claude-agent-sdk', clients: [], functions: SESSION_FUNCTIONS },
  describe(_self, args, name) {
    return {
      callSite: `claude-agent-sdk.${name}`,
      // Claude Code's own default; a process the app points at Bedrock or Vertex through its
      // environment still reports anthropic, since the guard reads no environment of the child.
      provider: 'anthropic',
      operation: GEN_AI_OPERATION_INVOKE_AGENT,
      model: optionsModel(args[0]),
    };
  },
  // query() is synchronous and throws its own start-up failures (a spawn that fails, bad
  // options) from the call; startup() and prewarm() are async and reject. Either way the
  // original never runs, so no child process is started and no option callback is called.
  fail(_original, _self, _args, error, name) {
    if (name === 'query') throw error;
    return Promise.reject(error);
  },
};

/** `{ prompt, options: { model } }`: the model name only; the prompt is never read. */
function optionsModel(params: unknown): string | undefined {
  if (params === null || typeof params !== 'object') return undefined;
  const options = (params as { options?: unknown }).options;
  if (options === null || typeof options !== 'object') return undefined;
  const model = (options as { model?: unknown }).model;
  return typeof model === 'string' ? model : undefined;
}
