import { openai } from '../src/app/sdks/openai';
import { patchMethod } from '../src/app/patch';

/**
 * Stands in for an SDK client at the chokepoint: `methodRequest(method, path, opts)` as openai has
 * it, returning at once, so a tight loop sees only what the guard's wrapper adds. The patched class
 * below is wrapped with the guard's own patchMethod() and the openai definition, so an unattested
 * call builds the same record (call site openai.OpenAI.chat, model from the body) as a real one.
 */
export class StandInClient {
  count = 0;
  methodRequest(_method: string, path: string, _opts: object): number {
    this.count += path.length;
    return this.count;
  }
}

/**
 * The same class again, patched. Its own methodRequest (not inherited), as OpenAI.prototype
 * has its own: the guard then wraps the method itself rather than a call to the base's.
 */
export class PatchedStandInClient {
  count = 0;
  methodRequest(_method: string, path: string, _opts: object): number {
    this.count += path.length;
    return this.count;
  }
}

patchMethod(openai, PatchedStandInClient.prototype, 'methodRequest', {
  version: 'bench',
  patchPoint: 'bench#PatchedStandInClient.methodRequest',
  active: false,
});

const OPTS = { body: { model: 'gpt-bench', messages: [] } };

// One loop per client class: each call site only ever sees one method, as in an app.
export function originalLoop(client: StandInClient, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += client.methodRequest('post', '/chat/completions', OPTS);
  return sum;
}

export function patchedLoop(client: PatchedStandInClient, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += client.methodRequest('post', '/chat/completions', OPTS);
  return sum;
}

/** The same as patchedLoop, called outside attest(): its own call site, so it is this file's line. */
export function unattestedLoop(client: PatchedStandInClient, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += client.methodRequest('post', '/chat/completions', OPTS);
  return sum;
}
