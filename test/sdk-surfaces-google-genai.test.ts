import { useGuard } from './helpers/guard';
import { GOOGLE_GENAI_RUNS_HERE, loadGoogleGenAI } from './helpers/google-genai';
import { objectSurface } from './helpers/object-surface';
import { ARGUMENT_SHAPES } from './helpers/surface';
import { describeSurface, fixedShapes } from './helpers/surface-walk';

/** Plumbing, not API: the resources' shared ApiClient, and `live` (WebSocket, documented as not patched). */
const INTERNAL = /(^|\.)(apiClient|parentClient|modelsModule|webSocketFactory|auth)(\.|$)|^live(\.|$)/;

/**
 * Every method of the installed @google/genai 3's GoogleGenAI resources (models, chats, files,
 * caches, batches, tunings, operations, authTokens, fileSearchStores, interactions, …), found by
 * walking a client; a chat session's methods through `chats.create`.
 */
for (const vertexai of [false, true]) {
  describeSurface({
    // Vertex AI in express mode (an API key, no project): the Vertex-only methods run without
    // google-auth, which would look for credentials.
    label: `@google/genai 3${vertexai ? ' (Vertex AI)' : ''}`,
    skip: GOOGLE_GENAI_RUNS_HERE ? undefined : '@google/genai 3 declares Node >= 22',
    load() {
      const mod = loadGoogleGenAI();
      useGuard({ mode: 'block' });
      const makeClient = (baseUrl: string) =>
        new mod.GoogleGenAI({ vertexai, apiKey: 'test-key', httpOptions: { baseUrl, timeout: 5000 } });
      const client = makeClient('http://127.0.0.1:9/unused');
      const chat = objectSurface(client.chats.create({ model: 'surface-model' }), {
        skip: (name) => INTERNAL.test(name),
      }).map((method) => ({
        name: `chats.create().${method.name}`,
        call: (c: object, args: unknown[]) =>
          method.call((c as typeof client).chats.create({ model: 'surface-model' }), args),
      }));
      return {
        makeClient,
        surface: [...objectSurface(client, { skip: (name) => INTERNAL.test(name) }), ...chat],
      };
    },
    shapes: fixedShapes([
      ...ARGUMENT_SHAPES.slice(0, 3),
      [
        {
          model: 'surface-model',
          contents: 'x',
          message: 'x',
          name: 'id_1',
          prompt: 'x',
          input: 'x',
          src: 'id_1',
          file: 'id_1',
          operation: { name: 'id_1' },
          baseModel: 'surface-model',
          trainingDataset: { gcsUri: 'gs://b/k' },
          fileSearchStoreName: 'id_1',
          id: 'id_1',
        },
      ],
    ]),
    minReaching: 0.55,
    callSitePrefix: 'google-genai.',
  });
}
