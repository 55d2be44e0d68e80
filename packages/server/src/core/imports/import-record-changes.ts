import { isValidFingerprint } from '../machines/machine-identity.js';
import type { License, Policy } from '../model.js';
import type { ImportedLicense, ImportedPolicy } from './imported-records.js';

/**
 * What an import writes for a record it read, and what a rerun changes in a record an earlier run wrote: a
 * record whose values did not change is skipped, so reruns are idempotent.
 */

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const sameTime = (a: Date | null | undefined, b: Date | null | undefined) =>
  (a?.getTime() ?? null) === (b?.getTime() ?? null);
const sorted = (values: string[]) => [...new Set(values)].sort();

/** The rules of a policy an import writes; the rest of a new policy takes Keyward's defaults. */
export function importedPolicyRules(input: ImportedPolicy) {
  return {
    name: input.name,
    maxMachines: input.maxMachines,
    maxDeactivations: input.maxDeactivations,
    allowVm: input.allowVm,
    isFloating: input.isFloating ?? false,
    leaseSeconds: input.leaseSeconds ?? 900,
    featureFields: input.featureFields,
  };
}

export type ImportedPolicyRules = ReturnType<typeof importedPolicyRules>;

export function policyRulesChanged(existing: Policy, rules: ImportedPolicyRules): boolean {
  return (Object.keys(rules) as Array<keyof ImportedPolicyRules>).some(
    (k) => !sameJson(existing[k], rules[k]),
  );
}

/** The values of a license an import writes, whether it makes the license or updates it. */
export function importedLicenseValues(input: ImportedLicense, policy: Policy, customerId: number | null) {
  return {
    policyId: policy.id,
    customerId,
    email: input.email?.trim().toLowerCase() || null,
    notes: input.notes ?? null,
    expiresAt: input.expiresAt,
    isSuspended: input.isSuspended,
    overrides: {
      maxMachines: input.maxMachines ?? null,
      maxDeactivations: input.maxDeactivations ?? null,
      isFloating: input.isFloating ?? null,
      leaseSeconds: null,
      maxOverdraft: null,
      allowVm: null,
    },
    features: input.features ?? {},
    tags: sorted(input.tags ?? []),
    // Fingerprints the rule refuses could never activate here; they are left behind like empty ones.
    allowedMachines: [...new Set((input.allowedMachines ?? []).filter(isValidFingerprint))],
  };
}

export type ImportedLicenseValues = ReturnType<typeof importedLicenseValues>;

/** The values of an imported license that differ from the license an earlier run wrote; empty when none. */
export function importedLicenseChanges(license: License, wanted: ImportedLicenseValues) {
  const changes: Partial<Omit<License, 'id' | 'createdAt'>> = {};
  if (license.policyId !== wanted.policyId) changes.policyId = wanted.policyId;
  if (license.customerId !== wanted.customerId) changes.customerId = wanted.customerId;
  if (license.email !== wanted.email) changes.email = wanted.email;
  if (license.notes !== wanted.notes) changes.notes = wanted.notes;
  if (!sameTime(license.expiresAt, wanted.expiresAt)) changes.expiresAt = wanted.expiresAt;
  if (license.isSuspended !== wanted.isSuspended) changes.isSuspended = wanted.isSuspended;
  if (!sameJson(license.overrides, wanted.overrides)) changes.overrides = wanted.overrides;
  if (!sameJson(license.features, wanted.features)) changes.features = wanted.features;
  if (!sameJson(sorted(license.tags), wanted.tags)) changes.tags = wanted.tags;
  if (!sameJson(license.allowedMachines, wanted.allowedMachines))
    changes.allowedMachines = wanted.allowedMachines;
  return changes;
}
