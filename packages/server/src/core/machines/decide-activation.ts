import { DomainError } from '../domain-error.js';
import { addCalendarPeriod } from '../licenses/calendar-period.js';
import { assertNotBlocked, isExpired } from '../licenses/license-status.js';
import type { License, Machine, Platform, Policy } from '../model.js';
import { effectiveRules, holdsSeat, isFloatingMachine } from '../model.js';
import { restartedExpiry, type TrialActivationMode } from '../trials/trial-term.js';
import { platformFromText } from './platform.js';

export interface ActivationRequest {
  fingerprint: string;
  name?: string | null | undefined;
  ip?: string | null | undefined;
  platform?: string | null | undefined;
  isVm?: boolean | undefined;
  username?: string | null | undefined;
  /** The operating system the named user signs in from; checked against the license's named users. */
  userPlatform?: Platform | undefined;
  productId?: number | undefined;
  /**
   * A floating lease asked for by the caller (Cryptolens passes the interval per request). When absent the
   * license's own rules decide whether the seat is floating; null asks for a node-locked seat whatever they say.
   */
  lease?: { seconds: number; maxOverdraft: number } | null | undefined;
  /**
   * The app enforces expiry itself (Cryptolens apps read the signed expiry date), so an expired license still
   * activates; suspension and revocation are refused as always.
   */
  isExpiryAdvisory?: boolean | undefined;
  /**
   * False: a node-locked activation of a license without a seat limit is admitted without recording the
   * machine (Cryptolens: MaxNoOfMachines 0 switches node-locking off). Default true.
   */
  recordsUnlimitedMachines?: boolean | undefined;
}

export { TRIAL_ACTIVATION_SETTING, type TrialActivationMode } from '../trials/trial-term.js';

export type NewMachine = Omit<Machine, 'id'>;

export type ActivationDecision =
  /** The fingerprint already holds a seat: nothing is consumed, a floating lease is refreshed. */
  | { kind: 'existing'; machine: Machine; leaseExpiresAt: Date | null }
  /** A seat is taken. `revive` reuses the row of a machine whose floating lease had lapsed. */
  | {
      kind: 'new';
      machine: NewMachine;
      revive: Machine | null;
      licenseChanges: { firstActivatedAt?: Date; expiresAt?: Date };
    }
  /** Admitted without a seat: no limit applies and the caller asked not to record such machines. */
  | { kind: 'unrecorded' };

export interface ActivationInput {
  license: License;
  policy: Policy;
  /** The license's machines that are not deactivated. */
  machines: Machine[];
  request: ActivationRequest;
  now: Date;
  trialActivationMode?: TrialActivationMode | undefined;
}

function assertLicenseUsable(license: License, request: ActivationRequest, now: Date): void {
  assertNotBlocked(license, now);
  // The same order as evaluateLicense, so activation and validation name the same failure.
  if (request.productId !== undefined && !license.productIds.includes(request.productId)) {
    throw new DomainError('PRODUCT_MISMATCH', 'the license does not unlock this product');
  }
  if (!request.isExpiryAdvisory && isExpired(license, now))
    throw new DomainError('LICENSE_EXPIRED', 'the license has expired');
}

function assertUserAllowed(license: License, request: ActivationRequest): void {
  if (license.namedUsers.length === 0) return;
  const username = request.username?.toLowerCase();
  // Apps that report only their operating system (`platform: "Windows 11"`) are held to platform rules too.
  const platform = request.userPlatform ?? platformFromText(request.platform);
  const allowed = license.namedUsers.some(
    (u) =>
      u.username.toLowerCase() === username &&
      (u.platform === 'any' || platform === undefined || platform === 'any' || u.platform === platform),
  );
  if (!allowed) {
    throw new DomainError('USERNAME_NOT_ALLOWED', 'this user may not use the license', {
      username: request.username ?? null,
    });
  }
}

function addSeconds(date: Date, seconds: number): Date {
  return new Date(date.getTime() + seconds * 1000);
}

/** A new activation's own validity: the license's calendar period wins over the policy's seconds. */
function activationExpiry(license: License, policy: Policy, now: Date): Date | null {
  if (license.activationPeriod) return addCalendarPeriod(now, license.activationPeriod);
  if (policy.activationValiditySeconds !== null) return addSeconds(now, policy.activationValiditySeconds);
  return null;
}

/**
 * Decides whether a machine may take a seat on a license. Pure: the caller runs it inside a transaction that
 * holds the license's lock and persists the decision, which is what keeps limits exact under concurrency.
 * Floating leases and node-locked seats are separate pools, each limited by the license's seat limit.
 */
export function decideActivation({
  license,
  policy,
  machines,
  request,
  now,
  trialActivationMode = 'each_new_machine',
}: ActivationInput): ActivationDecision {
  assertLicenseUsable(license, request, now);
  const rules = effectiveRules(license, policy);
  const isFloating = request.lease === undefined ? rules.isFloating : request.lease !== null;
  const leaseSeconds = request.lease?.seconds ?? rules.leaseSeconds;
  const maxOverdraft = request.lease?.maxOverdraft ?? rules.maxOverdraft;
  const leaseExpiresAt = isFloating ? addSeconds(now, leaseSeconds) : null;
  const pool = machines.filter((m) => isFloatingMachine(m) === isFloating);

  const current = pool.find((m) => m.fingerprint === request.fingerprint && !m.deactivatedAt);
  if (current?.expiresAt && current.expiresAt <= now) {
    throw new DomainError('LICENSE_EXPIRED', "this machine's activation has expired");
  }
  if (current && holdsSeat(current, now)) return { kind: 'existing', machine: current, leaseExpiresAt };

  if (request.isVm && !rules.allowVm) {
    throw new DomainError('VM_NOT_ALLOWED', 'the license may not be used inside a virtual machine');
  }
  assertUserAllowed(license, request);
  if (!isFloating && rules.maxMachines === 0 && request.recordsUnlimitedMachines === false) {
    return { kind: 'unrecorded' };
  }

  const seatHolders = pool.filter((m) => m !== current && holdsSeat(m, now));
  const isPrioritized = license.allowedMachines.includes(request.fingerprint);
  let isOverdraft = false;
  if (rules.maxMachines > 0 && seatHolders.length >= rules.maxMachines && !isPrioritized) {
    if (isFloating && seatHolders.length < rules.maxMachines + maxOverdraft) isOverdraft = true;
    else {
      throw new DomainError('MACHINE_LIMIT_REACHED', 'every seat of the license is taken', {
        maxMachines: rules.maxMachines,
      });
    }
  }

  const licenseChanges: { firstActivatedAt?: Date; expiresAt?: Date } = {};
  if (!license.firstActivatedAt) {
    licenseChanges.firstActivatedAt = now;
    if (
      policy.expirationBasis === 'FIRST_ACTIVATION' &&
      policy.durationSeconds !== null &&
      !license.expiresAt
    ) {
      licenseChanges.expiresAt = addSeconds(now, policy.durationSeconds);
    }
  }
  // Trial activation: the new machine starts a fresh term, unless the product restarts only the first time.
  const restarted = restartedExpiry(license, rules, trialActivationMode, now);
  if (restarted) licenseChanges.expiresAt = restarted;
  return {
    kind: 'new',
    revive: current ?? null,
    licenseChanges,
    machine: {
      licenseId: license.id,
      fingerprint: request.fingerprint,
      name: request.name ?? null,
      ip: request.ip ?? null,
      platform: request.platform ?? null,
      isVm: request.isVm ?? false,
      username: request.username ?? null,
      createdAt: current?.createdAt ?? now,
      lastSeenAt: now,
      leaseExpiresAt,
      isOverdraft,
      expiresAt: current?.expiresAt ?? activationExpiry(license, policy, now),
      deactivatedAt: null,
    },
  };
}

/**
 * Decides whether a machine may give its seat back. Releasing a floating lease is always allowed and free;
 * deactivating a node-locked machine counts against the license's deactivation limit.
 */
export function decideDeactivation(input: { license: License; policy: Policy; machine: Machine }): {
  countsTowardLimit: boolean;
} {
  const { license, policy, machine } = input;
  if (machine.leaseExpiresAt) return { countsTowardLimit: false };
  const { maxDeactivations } = effectiveRules(license, policy);
  if (maxDeactivations !== -1 && license.deactivationCount >= maxDeactivations) {
    throw new DomainError('DEACTIVATION_LIMIT_REACHED', 'the license may not deactivate more machines', {
      maxDeactivations,
    });
  }
  return { countsTowardLimit: true };
}
