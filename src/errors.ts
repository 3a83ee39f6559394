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
    this.name = 'MimaAttestationError';
    this.callSite = callSite;
    // A retry cannot succeed: say so to retry layers that read LangChain's shared marker,
    // which would otherwise retry an error without an HTTP status several times.
    Object.defineProperty(this, Symbol.for('langchain.errors.retryable'), {
      value: false,
      configurable: true,
    });
  }
}
