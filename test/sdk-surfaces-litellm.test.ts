import * as fs from 'node:fs';
import * as path from 'node:path';
import nock from 'nock';
import { useGuard } from './helpers/guard';
import { litellmEntry, loadLitellm } from './helpers/litellm';
import type { SurfaceMethod } from './helpers/surface';
import { describeSurface, type ArgumentShape } from './helpers/surface-walk';

type ModelFunction = (params: object) => Promise<unknown>;

/**
 * The model-name patterns of the installed litellm's handler tables: completion's is exported
 * (MODEL_HANDLER_MAPPINGS), embedding's is read from its file.
 */
function handlerPatterns(): { completion: string[]; embedding: string[] } {
  const dir = path.dirname(litellmEntry());
  const { MODEL_HANDLER_MAPPINGS } = require(path.join(dir, 'completion.js')) as {
    MODEL_HANDLER_MAPPINGS: Record<string, unknown>;
  };
  const source = fs.readFileSync(path.join(dir, 'embedding.js'), 'utf8');
  const embedding = [...source.matchAll(/'([^']+)': \w+\.\w+EmbeddingHandler/g)].map((m) => m[1]);
  return { completion: Object.keys(MODEL_HANDLER_MAPPINGS), embedding };
}

/** A model name litellm routes to the handler of `pattern`. */
function modelFor(pattern: string): string {
  return pattern.endsWith('-') || pattern.endsWith('/') ? `${pattern}surface` : pattern;
}

/**
 * Each exported function of the installed litellm, once per handler its model name can pick
 * (the handlers call a bundled SDK or fetch). Several handlers ignore baseUrl and go to their
 * provider's host: nock refuses every connection but the counting server's and counts those.
 */
let stray = 0;
const countStray = () => stray++;

describeSurface({
  label: 'litellm',
  load() {
    const litellm = loadLitellm() as unknown as Record<string, unknown>;
    useGuard({ mode: 'block' });
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
    nock.emitter.on('no match', countStray);
    const patterns = handlerPatterns();
    const surface: SurfaceMethod[] = Object.keys(litellm)
      .filter((name) => typeof litellm[name] === 'function')
      .flatMap((name) =>
        (name === 'embedding' ? patterns.embedding : patterns.completion).map((pattern) => ({
          name: `${name}(${modelFor(pattern)})`,
          call: (c: object, args: unknown[]) =>
            (litellm[name] as ModelFunction)({
              ...(args[0] as object),
              model: modelFor(pattern),
              baseUrl: (c as { baseUrl: string }).baseUrl,
            }),
        })),
      );
    return { makeClient: (baseUrl: string) => ({ baseUrl }), surface };
  },
  shapes: [
    () => [{ messages: [{ role: 'user', content: 'x' }], input: 'x', apiKey: 'test-key' }],
    () => [{ messages: [{ role: 'user', content: 'x' }], input: 'x', apiKey: 'test-key', stream: true }],
  ] as ArgumentShape[],
  strayRequests: () => stray,
  minReaching: 0.8,
  callSitePrefix: 'litellm.',
  showReaching: true,
});

after(() => {
  nock.emitter.removeListener('no match', countStray);
  nock.enableNetConnect();
});
