import { GEN_AI_OPERATION_GENERATE_CONTENT } from '../semconv';
import { ownEntry, prototypeMethods, type SdkDefinition } from './definition';
import { classesMethods, knownClassName } from './model-classes';

const VERSIONS = '>=1.0.0 <2';

const OPERATION_BY_METHOD: Record<string, string> = {
  generateContent: GEN_AI_OPERATION_GENERATE_CONTENT,
  generateContentStream: GEN_AI_OPERATION_GENERATE_CONTENT,
  sendMessage: GEN_AI_OPERATION_GENERATE_CONTENT,
  sendMessageStream: GEN_AI_OPERATION_GENERATE_CONTENT,
};
const MODEL_METHODS = ['generateContent', 'generateContentStream', 'countTokens'];
const CHAT_METHODS = ['sendMessage', 'sendMessageStream'];
const MODEL_CLASSES = ['GenerativeModel', 'GenerativeModelPreview'];
const CHAT_CLASSES = ['ChatSession', 'ChatSessionPreview'];
const CLASSES = [...MODEL_CLASSES, ...CHAT_CLASSES];

const models = classesMethods(
  [prototypeMethods('GenerativeModel', MODEL_METHODS)],
  [prototypeMethods('GenerativeModelPreview', MODEL_METHODS)],
);
const chats = classesMethods(
  [prototypeMethods('ChatSession', CHAT_METHODS)],
  [prototypeMethods('ChatSessionPreview', CHAT_METHODS)],
);

/**
 * @google-cloud/vertexai sends each model request from a method of `GenerativeModel`
 * (`vertexAI.getGenerativeModel()`), `GenerativeModelPreview` (`vertexAI.preview.…`) or their
 * chat sessions. The functions under them (functions/generate_content.js) are handed a token
 * promise the method has already started (`this.fetchToken()`, a google-auth-library request),
 * so the methods themselves are the chokepoint: blocked there, not even a credential lookup
 * runs. The package is CommonJS only (an ES module app imports the same files).
 */
export const vertexAI: SdkDefinition = {
  module: '@google-cloud/vertexai',
  supportedVersions: VERSIONS,
  patchPoints: [
    { versions: VERSIONS, files: ['build/src/models/generative_models.js'], ...models },
    { versions: VERSIONS, files: ['build/src/models/chat_session.js'], ...chats },
  ],
  callSites: [
    ...MODEL_CLASSES.flatMap((c) => MODEL_METHODS.map((m) => `vertexai.${c}.${m}`)),
    ...CHAT_CLASSES.flatMap((c) => CHAT_METHODS.map((m) => `vertexai.${c}.${m}`)),
  ],
  userApi: {
    prefix: 'vertexai',
    clients: CLASSES,
    classes: [
      { names: MODEL_CLASSES, methods: MODEL_METHODS },
      { names: CHAT_CLASSES, methods: CHAT_METHODS },
    ],
  },
  // wrap(vertexAI) marks its GoogleAuth, which every model and chat session it makes shares;
  // wrap(model) marks that model only (`this`).
  clientKeys: (client) => {
    const vertex = client as { googleAuth?: unknown; getGenerativeModel?: unknown; preview?: unknown };
    return typeof vertex.getGenerativeModel === 'function' && vertex.preview !== undefined
      ? [vertex.googleAuth]
      : [];
  },
  clientKeyOf: (self) => (self as { googleAuth?: unknown } | null | undefined)?.googleAuth,
  describe(self, _args, name) {
    // Earlier 1.x keep the model as `publisherModelEndpoint` (publishers/google/models/<id>) only.
    const held = self as { resourcePath?: unknown; publisherModelEndpoint?: unknown } | null | undefined;
    const path = held?.resourcePath ?? held?.publisherModelEndpoint;
    return {
      callSite: `vertexai.${knownClassName(self, name.startsWith('sendMessage') ? CHAT_CLASSES : MODEL_CLASSES)}.${name}`,
      provider: 'gcp.vertex_ai',
      operation: ownEntry(OPERATION_BY_METHOD, name) ?? name,
      model: typeof path === 'string' ? modelOfResource(path) : undefined,
    };
  },
  // The methods are async: the SDK's own errors (GoogleAuthError, ClientError) arrive as a rejection.
  fail(_original, _self, _args, error) {
    return Promise.reject(error);
  },
};

/**
 * `projects/p/locations/l/publishers/google/models/gemini-2.0-flash` → `gemini-2.0-flash`; a
 * tuned model or endpoint (`projects/p/locations/l/endpoints/123`) → `endpoints/123`, as
 * @google/genai names it. The project and location are not part of the model's name.
 */
function modelOfResource(path: string): string | undefined {
  const segments = path.split('/');
  const id = segments[segments.length - 1];
  if (!id) return undefined;
  if (segments.includes('publishers') || segments.length < 2) return id;
  return `${segments[segments.length - 2]}/${id}`;
}
