import { useGuard } from './helpers/guard';
import { loadMistral } from './helpers/mistral';
import { fillFromIssues, objectSurface } from './helpers/object-surface';
import { ARGUMENT_SHAPES } from './helpers/surface';
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
});
