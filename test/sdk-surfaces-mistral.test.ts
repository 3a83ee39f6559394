import * as fs from 'node:fs';
import * as path from 'node:path';
import { useGuard } from './helpers/guard';
import { loadMistral, mistralPath } from './helpers/mistral';
import { fillFromIssues, objectSurface } from './helpers/object-surface';
import { ARGUMENT_SHAPES, type SurfaceMethod } from './helpers/surface';
import { describeSurface, fixedShapes } from './helpers/surface-walk';

/**
 * Every method of every sub-client of the installed @mistralai/mistralai 2 (chat, fim, agents,
 * beta.*, batch.jobs, fineTuning.jobs, …), found by walking a client. Speakeasy validates each
 * request before building it: a refused call is retried with the fields its validation error
 * names, as a user would.
 */
describeSurface({
  label: '@mistralai/mistralai 2',
  load() {
    const mod = loadMistral();
    useGuard({ mode: 'block' });
    const makeClient = (serverURL: string) =>
      new mod.Mistral({ apiKey: 'test-key', serverURL, retryConfig: { strategy: 'none' }, timeoutMs: 5000 });
    return { makeClient, surface: objectSurface(makeClient('http://127.0.0.1:9/unused')) };
  },
  shapes: fixedShapes(ARGUMENT_SHAPES.slice(0, 3)),
  refine: fillFromIssues,
  minReaching: 0.8,
  callSitePrefix: 'mistral.',
});

type Result = { ok: boolean; value?: unknown; error?: unknown };
type StandaloneFunction = (client: object, ...args: unknown[]) => Promise<Result>;

/**
 * The standalone functions (`@mistralai/mistralai/funcs/chatComplete.js`, …, one file each in the
 * installed package's esm/funcs) called with a MistralCore client. Each resolves to a Result; an
 * `{ ok: false }` one is unwrapped to the rejection a user's code would act on.
 */
describeSurface({
  label: '@mistralai/mistralai 2 standalone functions',
  load() {
    loadMistral();
    useGuard({ mode: 'block' });
    const { MistralCore } = require(mistralPath('@mistralai/mistralai/core.js')) as {
      MistralCore: new (options: object) => object;
    };
    const funcsDir = path.join(path.dirname(mistralPath()), 'funcs');
    const surface: SurfaceMethod[] = fs
      .readdirSync(funcsDir)
      .filter((file) => file.endsWith('.js'))
      .flatMap((file) => {
        const exports = require(mistralPath(`@mistralai/mistralai/funcs/${file}`)) as Record<string, unknown>;
        return Object.keys(exports)
          .filter((name) => typeof exports[name] === 'function')
          .map((name) => ({
            name: `funcs/${name}`,
            call: (core: object, args: unknown[]) =>
              (exports[name] as StandaloneFunction)(core, ...args).then((result) =>
                result.ok ? result.value : Promise.reject(result.error),
              ),
          }));
      });
    const makeClient = (serverURL: string) =>
      new MistralCore({ apiKey: 'test-key', serverURL, retryConfig: { strategy: 'none' }, timeoutMs: 5000 });
    return { makeClient, surface };
  },
  shapes: fixedShapes(ARGUMENT_SHAPES.slice(0, 3)),
  refine: fillFromIssues,
  minReaching: 0.8,
  callSitePrefix: 'mistral.',
});
