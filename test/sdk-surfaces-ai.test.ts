import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AI_7_RUNS_HERE, aiEntry, aiWorkspace, loadAI, type AIModule } from './helpers/ai';
import { useGuard } from './helpers/guard';
import type { SurfaceMethod } from './helpers/surface';
import { describeSurface, type ArgumentShape } from './helpers/surface-walk';

type Provider = ReturnType<(typeof import('@ai-sdk/openai'))['createOpenAI']>;
interface AIClient {
  ai: AIModule;
  provider: Provider;
}
type AnyFunction = (...args: unknown[]) => unknown;

/** A class, as opposed to a function the walk may call. */
function isClass(value: unknown): value is new (...args: unknown[]) => object {
  return typeof value === 'function' && /^class\b/.test(Function.prototype.toString.call(value));
}

/**
 * A stream function returns its result at once and sends as the stream runs: reading it to the
 * end (or to the error the SDK delivers through it) is what starts and finishes the request.
 */
function drained(result: unknown): unknown {
  const r = result as {
    then?: unknown;
    consumeStream?: () => Promise<unknown>;
    object?: PromiseLike<unknown>;
    text?: unknown;
  } | null;
  if (r === null || typeof r !== 'object') return result;
  // agent.stream() resolves to a stream result; a Response (createAgentUIStreamResponse) has a body.
  if (typeof r.then === 'function') return (result as Promise<unknown>).then(drained);
  if (typeof r.consumeStream === 'function') return r.consumeStream();
  if (typeof r.object?.then === 'function') return r.object; // streamObject
  if (result instanceof Response) return result.text();
  if (result instanceof ReadableStream) return readAll(result); // a UI message stream
  return result;
}

async function readAll(stream: ReadableStream<unknown>): Promise<void> {
  const reader = stream.getReader();
  while (!(await reader.read()).done);
}

/**
 * The members each class of the installed `ai` declares private in its types (`private getSocket;`):
 * no user calls them. Called with made-up arguments they break the class's own state (ai 7's
 * WebSocketChatTransport.getSocket, given an object that is no AbortSignal, leaves its connection
 * promise rejected with nothing of the SDK's to handle it).
 */
function privateMembers(entry: string): Map<string, Set<string>> {
  const types = fs.readFileSync(path.join(path.dirname(entry), 'index.d.ts'), 'utf8');
  const found = new Map<string, Set<string>>();
  for (const [, name, body] of types.matchAll(/^(?:export )?declare class (\w+)[^\n]*\{\n([\s\S]*?)^\}/gm)) {
    found.set(
      name,
      new Set([...body.matchAll(/^\s+private (?:static |readonly )*(\w+)/gm)].map((m) => m[1])),
    );
  }
  return found;
}

/**
 * Every exported function of the installed `ai`, and every public method of each exported class
 * built with a model (ToolLoopAgent, …), called with each model kind of @ai-sdk/openai pointed at
 * the counting server. Functions that take no model simply never send.
 */
function aiSurface(ai: AIModule, privates: Map<string, Set<string>>): SurfaceMethod[] {
  const exports = ai as unknown as Record<string, unknown>;
  const methods: SurfaceMethod[] = [];
  for (const name of Object.keys(exports).sort()) {
    const value = exports[name];
    if (isClass(value)) {
      const proto = value.prototype as Record<string, unknown>;
      for (const method of Object.getOwnPropertyNames(proto)) {
        if (method === 'constructor' || method.startsWith('_') || privates.get(name)?.has(method)) continue;
        if (typeof Object.getOwnPropertyDescriptor(proto, method)?.value !== 'function') continue;
        methods.push({
          name: `new ${name}().${method}`,
          call: (c, args) => {
            const Class = (c as AIClient).ai[name as keyof AIModule] as unknown as new (o: unknown) => object;
            const instance = new Class(args[0]) as Record<string, AnyFunction>;
            return drained(instance[method](args[1]));
          },
        });
      }
    } else if (typeof value === 'function') {
      methods.push({
        name,
        call: (c, args) => {
          const fn = (c as AIClient).ai[name as keyof AIModule] as AnyFunction;
          return drained(fn(...audioAsStream(fn, args)));
        },
      });
    }
  }
  return methods;
}

/**
 * ai 7's streamTranslate takes its audio as a stream, and cancels it when the call fails: any other
 * value (the transcription shape's bytes, or none) turns the SDK's refusal of the made-up model
 * into a TypeError in its own catch handler, a rejection no caller can reach. It gets the shape's
 * bytes as the stream its types ask for (exported as experimental_streamTranslate).
 */
function audioAsStream(fn: AnyFunction, args: unknown[]): unknown[] {
  if (fn.name !== 'streamTranslate' || args[0] === null || typeof args[0] !== 'object') return args;
  const { audio } = args[0] as { audio?: unknown };
  const bytes = audio instanceof Uint8Array ? [audio] : [];
  return [{ ...args[0], audio: ReadableStream.from(bytes) }, ...args.slice(1)];
}

const UI_MESSAGES = [{ id: 'm1', role: 'user', parts: [{ type: 'text', text: 'x' }] }];

/**
 * One argument object per model kind, each with the fields its functions require; the second
 * argument is what a class's method (an agent's generate, a transport's sendMessages) is given.
 */
const SHAPES: ArgumentShape[] = [
  (c) => {
    const { ai, provider } = c as AIClient;
    const model = provider.chat('surface-model');
    return [{ model, prompt: 'x', schema: ai.jsonSchema({ type: 'object' }) }, { prompt: 'x' }];
  },
  (c) => {
    const { ai, provider } = c as AIClient;
    const agent = new ai.ToolLoopAgent({ model: provider.chat('surface-model') });
    const request = { messages: UI_MESSAGES, trigger: 'submit-message', chatId: 'c1', messageId: undefined };
    return [{ agent, uiMessages: UI_MESSAGES, messages: UI_MESSAGES }, request];
  },
  (c) => [{ model: (c as AIClient).provider.responses('surface-model'), prompt: 'x' }],
  (c) => [{ model: (c as AIClient).provider.embedding('surface-embed'), value: 'x', values: ['x'] }],
  (c) => [{ model: (c as AIClient).provider.image('surface-image'), prompt: 'x' }],
  (c) => [{ model: (c as AIClient).provider.transcription('surface-stt'), audio: new Uint8Array([1, 2, 3]) }],
  (c) => [{ model: (c as AIClient).provider.speech('surface-tts'), text: 'x' }],
];

for (const major of [6, 7] as const) {
  describeSurface({
    label: `ai ${major}`,
    skip: major === 7 && !AI_7_RUNS_HERE ? 'ai 7 and @ai-sdk/openai 4 declare Node >= 22' : undefined,
    load() {
      const { ai } = loadAI(major);
      useGuard({ mode: 'block' });
      const providerEntry = require.resolve('@ai-sdk/openai', { paths: [aiWorkspace(major)] });
      const { createOpenAI } = require(providerEntry) as typeof import('@ai-sdk/openai');
      const makeClient = (baseURL: string): AIClient => ({
        ai,
        provider: createOpenAI({ baseURL, apiKey: 'test-key' }),
      });
      const surface = aiSurface(ai, privateMembers(aiEntry(major)));
      assert.ok(surface.length > 50, 'the walk sees the package exports');
      return { makeClient, surface };
    },
    shapes: SHAPES,
    // Most exports are helpers that take no model (tool, jsonSchema, stream utilities, …).
    minReaching: 0,
    callSitePrefix: 'ai.',
    showReaching: true,
    pendingMs: 2000,
  });
}
