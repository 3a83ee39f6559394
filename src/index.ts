export { MimaGuardInstrumentation } from './app/instrumentation';
export { enableGuard, disableGuard, getGuardStatus } from './app/enable';
export { attest, withAttested, type AttestDecorator } from './app/attest';
export { isAttested, setAttested, ATTESTED_KEY } from './app/attestation';
export { MimaGovernance } from './app/governance';
export { MimaAttestationError } from './app/errors';
export { WARNING_TYPE } from './app/guard';
export type {
  AttestOptions,
  CallDescription,
  DetectionRecord,
  GuardStatus,
  MimaGuardConfig,
  Mode,
  PatchStatus,
  SdkStatus,
} from './app/types';
