import { loadCohere } from './helpers/cohere';
import { useGuard } from './helpers/guard';
import { fillFromFernErrors, objectSurface } from './helpers/object-surface';
import { ARGUMENT_SHAPES } from './helpers/surface';
import { describeSurface, fixedShapes } from './helpers/surface-walk';

/**
 * Every method of the installed cohere-ai 8's CohereClient and CohereClientV2 and their
 * sub-clients (v2, datasets, embedJobs, connectors, models, finetuning, batches, audio, …),
 * found by walking both clients.
 */
describeSurface({
  label: 'cohere-ai 8',
  load() {
    const mod = loadCohere();
    useGuard({ mode: 'block' });
    const options = (environment: string) => ({
      token: 'test-key',
      environment,
      maxRetries: 0,
      timeoutInSeconds: 5,
    });
    const makeClient = (environment: string) => ({
      v1: new mod.CohereClient(options(environment)),
      v2: new mod.CohereClientV2(options(environment)),
    });
    return { makeClient, surface: objectSurface(makeClient('http://127.0.0.1:9/unused')) };
  },
  shapes: fixedShapes([...ARGUMENT_SHAPES]),
  refine: fillFromFernErrors,
  minReaching: 0.8,
  callSitePrefix: 'cohere.',
});
