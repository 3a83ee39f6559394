export { MimaGuardInstrumentation } from './app/instrumentation';
export { enableGuard, disableGuard, getGuardStatus } from './app/enable';
export {
  attest,
  withAttested,
  isAttested,
  setAttested,
  MimaGovernance,
  ATTESTED_KEY,
  type AttestDecorator,
} from './app/attestation';
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
