export { MimaGuardInstrumentation } from './instrumentation';
export { enableGuard, disableGuard, getGuardStatus } from './enable';
export {
  attest,
  withAttested,
  isAttested,
  setAttested,
  MimaGovernance,
  ATTESTED_KEY,
  type AttestDecorator,
} from './attestation';
export { MimaAttestationError } from './errors';
export { WARNING_TYPE } from './guard';
export type {
  AttestOptions,
  CallDescription,
  DetectionRecord,
  GuardStatus,
  MimaGuardConfig,
  Mode,
  PatchStatus,
  SdkStatus,
} from './types';
