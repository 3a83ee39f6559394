import type { PatchStatus, SdkStatus } from './types';
import { SDK_DEFINITIONS } from './sdks';

/** Per SDK module: one entry per loaded copy, patched or with the reason it is not. */
const entries = new Map<string, PatchStatus[]>();

export function addStatus(module: string, status: PatchStatus): PatchStatus {
  const list = entries.get(module) ?? [];
  const same = list.find((s) => s.version === status.version && s.patchPoint === status.patchPoint);
  if (same) return same;
  list.push(status);
  entries.set(module, list);
  return status;
}

export function hasStatusFor(module: string, version: string): boolean {
  return (entries.get(module) ?? []).some((s) => s.version === version);
}

export function sdkStatuses(): SdkStatus[] {
  return SDK_DEFINITIONS.map((definition) => ({
    module: definition.module,
    supportedVersions: definition.supportedVersions,
    patches: (entries.get(definition.module) ?? []).map((s) => ({ ...s })),
  }));
}
