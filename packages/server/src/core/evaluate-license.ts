import type { FeatureValue, License, Machine, Policy } from './model.js';
import { effectiveRules, holdsSeat } from './model.js';
import type { ValidationCode, ValidationOutcome } from './validation-codes.js';
import { VALIDATION_CODES } from './validation-codes.js';

export interface ValidationScope {
  productId?: number | undefined;
  fingerprint?: string | undefined;
  /** Feature names that must be present and truthy on the license. */
  features?: string[] | undefined;
}

export interface EvaluationInput {
  license: License | null;
  policy: Policy | null;
  /** The license's machines that are not deactivated. */
  machines: Machine[];
  scope: ValidationScope;
  now: Date;
}

function outcome(valid: boolean, code: ValidationCode, detail: string = VALIDATION_CODES[code]) {
  return { valid, code, detail };
}

function isTruthyFeature(value: FeatureValue | null | undefined): boolean {
  return value !== undefined && value !== null && value !== false && value !== 0 && value !== '';
}

/**
 * The one place that decides whether a license is valid. Checks run in a fixed order — the first failing
 * check names the outcome — so every surface reports the same code for the same state.
 */
export function evaluateLicense({
  license,
  policy,
  machines,
  scope,
  now,
}: EvaluationInput): ValidationOutcome {
  if (!license || !policy) return outcome(false, 'NOT_FOUND');
  if (license.revokedAt && license.revokedAt <= now) return outcome(false, 'REVOKED');
  if (license.isSuspended) return outcome(false, 'SUSPENDED');
  if (scope.productId !== undefined && !license.productIds.includes(scope.productId)) {
    return outcome(false, 'PRODUCT_MISMATCH');
  }
  const startsOnActivation = policy.expirationBasis === 'FIRST_ACTIVATION' && policy.durationSeconds !== null;
  if (startsOnActivation && !license.firstActivatedAt && !license.expiresAt)
    return outcome(false, 'NOT_STARTED');
  if (license.expiresAt && license.expiresAt <= now) return outcome(false, 'EXPIRED');

  for (const name of scope.features ?? []) {
    const value = license.features[name] ?? policy.featureFields.find((f) => f.name === name)?.defaultValue;
    if (!isTruthyFeature(value))
      return outcome(false, 'FEATURE_MISSING', `the license lacks the feature "${name}"`);
  }

  const seatHolders = machines.filter((m) => holdsSeat(m, now));
  if (scope.fingerprint !== undefined) {
    const machine = machines.find((m) => m.fingerprint === scope.fingerprint && !m.deactivatedAt);
    if (!machine) return outcome(false, seatHolders.length === 0 ? 'NO_MACHINE' : 'FINGERPRINT_MISMATCH');
    if (machine.leaseExpiresAt && machine.leaseExpiresAt <= now) return outcome(false, 'LEASE_EXPIRED');
    if (machine.expiresAt && machine.expiresAt <= now) return outcome(false, 'ACTIVATION_EXPIRED');
  }

  const rules = effectiveRules(license, policy);
  if (rules.maxMachines > 0 && seatHolders.length > rules.maxMachines) {
    const allowance = rules.isFloating ? rules.maxOverdraft : 0;
    // Inside the overdraft allowance the license stays usable, but the caller learns it is over its limit.
    return outcome(seatHolders.length <= rules.maxMachines + allowance, 'TOO_MANY_MACHINES');
  }
  return outcome(true, 'VALID');
}
