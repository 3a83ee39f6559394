// ES module entry: re-exports the one CommonJS build, so `import` and `require` share a
// single guard (one patch registry, one attested-context key) in the same process.
import guard from '../src/index.js';

export const {
  MimaGuardInstrumentation,
  enableGuard,
  disableGuard,
  getGuardStatus,
  attest,
  withAttested,
  isAttested,
  setAttested,
  MimaGovernance,
  ATTESTED_KEY,
  MimaAttestationError,
  WARNING_TYPE,
} = guard;
