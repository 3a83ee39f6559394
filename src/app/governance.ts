/** MimaGovernance: attest() through an object, and wrap(), which attests every call of an SDK client. */
import { attestedClients } from './attestation';
import { attest, attestFunction, validateOptions, type AttestDecorator } from './attest';
import { SDK_DEFINITIONS } from './sdks';
import type { AttestOptions } from './types';

/** What stands for a wrapped client at each SDK's chokepoint, when that is not the client itself. */
function clientKeys(client: object): object[] {
  return SDK_DEFINITIONS.flatMap((definition) => {
    try {
      return (definition.clientKeys?.(client) ?? []).filter(
        (key): key is object => typeof key === 'object' && key !== null,
      );
    } catch {
      return []; // not a client of this SDK
    }
  });
}

export class MimaGovernance {
  readonly systemName: string;
  readonly workspaceId?: string;
  readonly #apiKey?: string;

  constructor(opts: { apiKey?: string; systemName: string; workspaceId?: string }) {
    if (opts === null || typeof opts !== 'object') {
      throw new TypeError('MimaGovernance expects options like { systemName: "my-system" }');
    }
    if (typeof opts.systemName !== 'string' || opts.systemName.length === 0) {
      throw new TypeError(
        `MimaGovernance option systemName must be a non-empty string; got ${typeof opts.systemName}`,
      );
    }
    for (const key of ['apiKey', 'workspaceId'] as const) {
      if (opts[key] !== undefined && typeof opts[key] !== 'string') {
        throw new TypeError(`MimaGovernance option ${key} must be a string; got ${typeof opts[key]}`);
      }
    }
    this.systemName = opts.systemName;
    this.workspaceId = opts.workspaceId;
    this.#apiKey = opts.apiKey;
  }

  /** True when an API key was given (the key itself is never exposed or logged). */
  get hasApiKey(): boolean {
    return this.#apiKey !== undefined;
  }

  attest(options?: AttestOptions): AttestDecorator {
    return attest(options);
  }

  /**
   * A function comes back wrapped by attest(). An SDK client object is marked, not
   * proxied (a Proxy breaks #private fields), and returned as is: the guard's patch
   * sees the mark on every call made through it.
   */
  wrap<T>(target: T, options?: AttestOptions): T {
    validateOptions(options);
    if (typeof target === 'function') return attestFunction(target as (...a: never[]) => unknown) as T;
    if (typeof target === 'object' && target !== null) {
      attestedClients.add(target);
      for (const key of clientKeys(target)) attestedClients.add(key);
      return target;
    }
    throw new TypeError(
      `MimaGovernance.wrap expects a function or an SDK client object; got ${typeof target}`,
    );
  }
}
