import { licenseView } from '../licenses/license-view.js';
import type { FeatureValue, License, Machine, Policy } from '../model.js';
import { isFloatingMachine, isLeaseLapsed, wasFreedByLapse } from '../model.js';
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
  /**
   * The scope's fingerprint's latest machine, when none of `machines` has that fingerprint: a lease freed
   * because it lapsed still answers LEASE_EXPIRED, whether an activation or the sweep freed it.
   */
  latestOfFingerprint?: Machine | null;
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
  latestOfFingerprint = null,
}: EvaluationInput): ValidationOutcome {
  if (!license || !policy) return outcome(false, 'NOT_FOUND');
  const view = licenseView({ license, policy, machines, now });
  if (view.isRevoked) return outcome(false, 'REVOKED');
  if (view.isSuspended) return outcome(false, 'SUSPENDED');
  if (scope.productId !== undefined && !license.productIds.includes(scope.productId)) {
    return outcome(false, 'PRODUCT_MISMATCH');
  }
  const startsOnActivation = policy.expirationBasis === 'FIRST_ACTIVATION' && policy.durationSeconds !== null;
  if (startsOnActivation && !license.firstActivatedAt && !license.expiresAt)
    return outcome(false, 'NOT_STARTED');
  if (view.isExpired) return outcome(false, 'EXPIRED');

  for (const name of scope.features ?? []) {
    // Own properties only: a name like "constructor" must not find Object.prototype's member.
    const own = Object.hasOwn(license.features, name) ? license.features[name] : undefined;
    const value = own ?? policy.featureFields.find((f) => f.name === name)?.defaultValue;
    if (!isTruthyFeature(value))
      return outcome(false, 'FEATURE_MISSING', `the license lacks the feature "${name}"`);
  }

  if (scope.fingerprint !== undefined) {
    const machine = machines.find((m) => m.fingerprint === scope.fingerprint && !m.deactivatedAt);
    if (!machine) {
      const freed = latestOfFingerprint;
      if (freed?.fingerprint === scope.fingerprint && wasFreedByLapse(freed))
        return outcome(false, 'LEASE_EXPIRED');
      return outcome(false, view.seatHolders.length === 0 ? 'NO_MACHINE' : 'FINGERPRINT_MISMATCH');
    }
    if (isLeaseLapsed(machine, now)) return outcome(false, 'LEASE_EXPIRED');
    if (machine.expiresAt && machine.expiresAt <= now) return outcome(false, 'ACTIVATION_EXPIRED');
  }

  const { rules, nodeLockedSeats, floatingSeats } = view;
  // Node-locked seats and floating leases are separate pools, each held to the seat limit.
  if (rules.maxMachines > 0 && Math.max(nodeLockedSeats, floatingSeats) > rules.maxMachines) {
    // Overdraft seats were granted on purpose: by the rules, or by the caller that asked for the lease.
    const granted = view.seatHolders.filter((m) => isFloatingMachine(m) && m.isOverdraft).length;
    const allowance = Math.max(rules.isFloating ? rules.maxOverdraft : 0, granted);
    // Inside the overdraft allowance the license stays usable, but the caller learns it is over its limit.
    const isUsable = nodeLockedSeats <= rules.maxMachines && floatingSeats <= rules.maxMachines + allowance;
    return outcome(isUsable, 'TOO_MANY_MACHINES');
  }
  return outcome(true, 'VALID');
}
