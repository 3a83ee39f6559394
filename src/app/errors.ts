/** Thrown (as a rejected promise where the SDK method returns one) for an unattested call in block mode. */
export class MimaAttestationError extends Error {
  readonly code = 'MIMA_UNATTESTED_CALL' as const;
  readonly callSite: string;

  constructor(callSite: string, location?: string) {
    const where = location ? ` at ${location}` : '';
    super(
      `Unattested AI call ${callSite}${where} was blocked by the Mima guard (mode "block"). ` +
        `Wrap the function that makes this call in attest() (or mima.attest()) to attest it.`,
    );
    // Defined, not assigned: with the app's Error.prototype frozen, assigning `name` throws (the
    // inherited property is read-only), and block mode would block nothing.
    Object.defineProperty(this, 'name', {
      value: 'MimaAttestationError',
      writable: true,
      enumerable: true,
      configurable: true,
    });
    this.callSite = callSite;
    // A retry cannot succeed: say so to retry layers that read LangChain's shared marker,
    // which would otherwise retry an error without an HTTP status several times.
    Object.defineProperty(this, Symbol.for('langchain.errors.retryable'), {
      value: false,
      configurable: true,
    });
  }
}

/**
 * What the guard may say about an error a user object threw (a getter on the request, a hostile
 * Proxy): its constructor's name, when that is a plain identifier, and never its message or
 * stack, which may hold the prompt. Reads nothing that can run the app's code but the prototype
 * chain's `constructor`, and never throws.
 */
export function errorKind(error: unknown): string {
  if (error === null || (typeof error !== 'object' && typeof error !== 'function')) {
    return `a thrown ${error === null ? 'null' : typeof error}`;
  }
  try {
    let proto: unknown = Object.getPrototypeOf(error);
    for (let depth = 0; proto !== null && depth < 20; depth++) {
      const ctor = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value as unknown;
      const name =
        typeof ctor === 'function' ? Object.getOwnPropertyDescriptor(ctor, 'name')?.value : undefined;
      if (isIdentifier(name)) return name;
      proto = Object.getPrototypeOf(proto);
    }
  } catch {
    // A Proxy whose traps throw.
  }
  return 'an unnamed error';
}

function isIdentifier(name: unknown): name is string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 64) return false;
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    const letter = (code | 0x20) >= 97 && (code | 0x20) <= 122;
    const digit = code >= 48 && code <= 57 && i > 0;
    if (!letter && !digit && code !== 95 && code !== 36) return false;
  }
  return true;
}
