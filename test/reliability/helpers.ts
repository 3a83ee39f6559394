import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { activeGuard } from '../../src/app/guard';
import type { DetectionRecord } from '../../src/app/types';
import { PACKAGE_NAME } from '../../src/app/version';
import { AI_BASE_URL, type AIModule, type AIOpenAIProvider } from '../helpers/ai';
import { rotatedLogLines } from '../helpers/log-lines';
import { countingReply } from '../helpers/mock-http';
import { BASE_URL, chatCompletion, type OpenAIClient, userMessage } from '../helpers/openai';
import { tempDir as makeTempDir } from '../helpers/temp-dir';

/** A short private directory (0700): Unix socket paths are limited to about 107 bytes. */
export const tempDir = (prefix = 'mima-rel-') => makeTempDir(prefix);

export async function until(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const daemonConnected = () => activeGuard()?.reporting.daemon.connected === true;

/** Records (not markers) in a JSONL file and its rotations; lines that do not parse are counted. */
export function readLog(file: string): { records: DetectionRecord[]; torn: number } {
  const records: DetectionRecord[] = [];
  let torn = 0;
  for (const line of rotatedLogLines(file)) {
    try {
      const value = JSON.parse(line) as DetectionRecord & { type?: string };
      if (value.type === undefined) records.push(value);
    } catch {
      torn++;
    }
  }
  return { records, torn };
}

/**
 * A DiagLogger whose every method throws once armed (the OTel API logs through a logger while
 * registering it, so it is armed after setLogger). `told` keeps what it was asked to log.
 */
export function explodingLogger(): { logger: DiagLogger; arm(on: boolean): void; told: string[] } {
  let armed = false;
  const told: string[] = [];
  const explode =
    (level: string) =>
    (...args: unknown[]) => {
      if (!armed) return;
      // A component logger passes its namespace first, then the message.
      told.push(`${level}: ${args.map(String).join(' ')}`);
      throw new Error(`injected: diag.${level}`);
    };
  const logger: DiagLogger = {
    error: explode('error'),
    warn: explode('warn'),
    info: explode('info'),
    debug: explode('debug'),
    verbose: explode('verbose'),
  };
  return { logger, arm: (on) => void (armed = on), told };
}

/**
 * Diag messages while fn runs, every level from warn up, split into the guard's own (its component
 * logger puts its namespace first) and everyone else's (the OTel SDK's global error handler).
 */
export async function captureAllDiag(fn: () => unknown): Promise<{ guard: string[]; other: string[] }> {
  const guard: string[] = [];
  const other: string[] = [];
  const collect = (...args: unknown[]) => {
    const text = args.map((arg) => (arg instanceof Error ? `${arg.message}` : String(arg))).join(' ');
    (args[0] === PACKAGE_NAME ? guard : other).push(text);
  };
  const logger: DiagLogger = { error: collect, warn: collect, info() {}, debug() {}, verbose() {} };
  diag.setLogger(logger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  try {
    await fn();
  } finally {
    diag.disable();
  }
  return { guard, other };
}

/** An SDK call the fault cases make: a non-Stainless SDK and openai, with their mock replies. */
export interface Target {
  name: string;
  /** Intercepts `times` requests; returns the count of those that really left. */
  mock(times: number): { requests: number };
  /**
   * The app's call: resolves with the model's reply text. `extra`'s properties are defined on the
   * request as they are (getters stay getters).
   */
  call(extra?: object): Promise<string>;
  /** A valid `model` value for the request. */
  model(): unknown;
  callSite: string;
}

export function openaiTarget(client: OpenAIClient): Target {
  return {
    name: 'openai 6',
    callSite: 'openai.OpenAI.chat',
    mock: (times) =>
      countingReply(new URL(BASE_URL).origin, '/v1/chat/completions', () => chatCompletion(), { times }),
    model: () => 'gpt-test',
    call: async (extra = {}) => {
      const body = withProperties({ model: 'gpt-test', messages: userMessage }, extra);
      const reply = await client.chat.completions.create(
        body as Parameters<OpenAIClient['chat']['completions']['create']>[0] & { stream?: false },
      );
      return reply.choices[0].message.content ?? '';
    },
  };
}

export function aiTarget(ai: AIModule, openai: AIOpenAIProvider): Target {
  return {
    name: 'ai 6',
    callSite: 'ai.generateText',
    mock: (times) =>
      countingReply(new URL(AI_BASE_URL).origin, '/v1/chat/completions', () => chatCompletion(), { times }),
    model: () => openai.chat('gpt-test'),
    call: async (extra = {}) => {
      const options = withProperties({ model: openai.chat('gpt-test'), prompt: 'hi' }, extra);
      const result = await ai.generateText(options as Parameters<AIModule['generateText']>[0]);
      return result.text;
    },
  };
}

/** base with extra's own properties defined on it as they are: a getter is not called here. */
export function withProperties(base: object, extra: object): object {
  return Object.defineProperties(base, Object.getOwnPropertyDescriptors(extra));
}
