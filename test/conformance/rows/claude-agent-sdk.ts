import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CANARY } from '../../helpers/openai';
import type { ConformanceRow } from '../row';

/**
 * A Claude Code stand-in that speaks the SDK's stream-json protocol: each start appends a line to
 * `starts`; it acknowledges every control request and answers each user message with 'hello'.
 * The real Claude Code never runs and nothing reaches the network.
 */
function fakeClaudeCode(dir: string): { executable: string; starts: string } {
  const starts = path.join(dir, 'claude-code-starts');
  const executable = path.join(dir, 'fake-claude-code.js');
  const script = `#!${process.execPath}
const fs = require('fs');
fs.appendFileSync(${JSON.stringify(starts)}, 'started\\n');
const send = (message) => process.stdout.write(JSON.stringify(message) + '\\n');
const usage = { input_tokens: 1, output_tokens: 1 };
let pending = '';
process.stdin.on('data', (data) => {
  const lines = (pending + data).split('\\n');
  pending = lines.pop();
  for (const line of lines.filter((l) => l.trim())) {
    const message = JSON.parse(line);
    if (message.type === 'control_request') {
      send({ type: 'control_response', response: { subtype: 'success', request_id: message.request_id, response: {} } });
    } else if (message.type === 'user') {
      const content = [{ type: 'text', text: 'hello' }];
      send({ type: 'assistant', session_id: 's', uuid: 'a', parent_tool_use_id: null,
        message: { id: 'm', type: 'message', role: 'assistant', model: 'claude-test', content, stop_reason: 'end_turn', usage } });
      send({ type: 'result', subtype: 'success', is_error: false, result: 'hello', session_id: 's', uuid: 'r',
        duration_ms: 1, duration_api_ms: 1, num_turns: 1, total_cost_usd: 0, usage, permission_denials: [] });
    }
  }
});
process.stdin.on('end', () => process.exit(0));
`;
  fs.writeFileSync(executable, script, { mode: 0o700 });
  return { executable, starts };
}

interface Session {
  options: { pathToClaudeCodeExecutable: string; model: string };
  starts: string;
}

type Message = { type: string; result?: string };

/** A session run to its result message; its text. */
async function resultOf(query: AsyncIterable<Message>): Promise<string> {
  let text = '';
  for await (const message of query) if (message.type === 'result') text = message.result ?? '';
  return text;
}

/**
 * The streaming-input form: the prompt an async iterable of user messages, held open until the
 * result arrives (the session ends when its input does).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function streamedResult(sdk: Record<string, any>, session: Session): Promise<string> {
  let answered!: () => void;
  const done = new Promise<void>((resolve) => (answered = resolve));
  async function* input() {
    yield {
      type: 'user',
      session_id: '',
      parent_tool_use_id: null,
      message: { role: 'user', content: CANARY },
    };
    await done;
  }
  let text = '';
  for await (const message of sdk.query({
    prompt: input(),
    options: session.options,
  }) as AsyncIterable<Message>) {
    if (message.type === 'result') {
      text = message.result ?? '';
      answered();
    }
  }
  return text;
}

/**
 * @anthropic-ai/claude-agent-sdk (ES module only; 'cjs' is require() of it) runs no model call in
 * this process: query() spawns Claude Code. So "before any request" here is before any child
 * process: the stand-in counts its starts (row.requests), and the mock server is not used.
 */
export const claudeAgentSdkRow: ConformanceRow = {
  name: 'claude-agent-sdk',
  module: '@anthropic-ai/claude-agent-sdk',
  versionDirs: ['claude-agent-sdk-0'],
  moduleSystems: ['cjs', 'esm'],
  server: 'none',
  // TMPDIR is the conformance child's own work directory, removed after the run.
  client: (): Session => {
    const fake = fakeClaudeCode(fs.mkdtempSync(path.join(os.tmpdir(), 'claude-code-')));
    return {
      options: { pathToClaudeCodeExecutable: fake.executable, model: 'claude-test' },
      starts: fake.starts,
    };
  },
  requests: (session: Session) =>
    fs.existsSync(session.starts) ? fs.readFileSync(session.starts, 'utf8').split('\n').length - 1 : 0,
  // async: query() throws its failures from the call, a rejection here as an app would await it.
  call: async (session: Session, { sdk }) =>
    resultOf(sdk.query({ prompt: CANARY, options: session.options })),
  stream: (session: Session, { sdk }) => streamedResult(sdk, session),
  helpers: [
    {
      name: 'startup() and its warm query',
      available: (_session, { sdk }) => typeof sdk.startup === 'function',
      run: async (session: Session, { sdk }) => {
        const warm = await sdk.startup({ options: session.options });
        return resultOf(warm.query(CANARY));
      },
    },
  ],
  expect: {
    callSite: 'claude-agent-sdk.query',
    provider: 'anthropic',
    operation: 'invoke_agent',
    model: 'claude-test',
  },
};
