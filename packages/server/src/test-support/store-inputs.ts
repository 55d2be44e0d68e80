import type { NewMachine } from '../core/decide-activation.js';
import type { License, Policy } from '../core/model.js';
import type { NewLicense, NewPolicy } from '../core/ports.js';

/** Rows for the storage suites, complete and valid, each changeable per test. */

/** Instants with milliseconds, so a round trip that drops or rounds them fails. */
export const T0 = new Date('2026-03-04T05:06:07.089Z');
export const at = (ms: number) => new Date(T0.getTime() + ms);

let counter = 0;
/** A number no other call in this process got: for ids and names that must not collide. */
export const nextNumber = () => ++counter;
export const unique = (prefix: string) =>
  `${prefix}-${nextNumber()}-${Math.random().toString(36).slice(2, 8)}`;

export const NO_OVERRIDES: License['overrides'] = {
  maxMachines: null,
  maxDeactivations: null,
  isFloating: null,
  leaseSeconds: null,
  maxOverdraft: null,
  allowVm: null,
};

export function policyInput(productId: number, changes: Partial<NewPolicy> = {}): NewPolicy {
  return {
    productId,
    name: 'Standard',
    maxMachines: 3,
    maxDeactivations: -1,
    isFloating: false,
    leaseSeconds: 900,
    maxOverdraft: 0,
    allowVm: true,
    durationSeconds: null,
    expirationBasis: 'CREATION',
    activationValiditySeconds: null,
    isTrial: false,
    allowLicenseAuth: false,
    keyFormat: 'XXXXX-XXXXX-XXXXX-XXXXX',
    featureFields: [],
    createdAt: T0,
    ...changes,
  };
}

export function licenseInput(policy: Policy, changes: Partial<NewLicense> = {}): NewLicense {
  return {
    key: unique('KEY'),
    policyId: policy.id,
    productIds: [policy.productId],
    customerId: null,
    email: null,
    notes: null,
    alias: null,
    expiresAt: null,
    firstActivatedAt: null,
    isSuspended: false,
    revokedAt: null,
    overrides: NO_OVERRIDES,
    isCleanable: false,
    activationCount: 0,
    deactivationCount: 0,
    resetCount: 0,
    features: {},
    tags: [],
    allowedMachines: [],
    namedUsers: [],
    createdAt: T0,
    updatedAt: T0,
    lastValidatedAt: null,
    ...changes,
  };
}

export function machineInput(
  licenseId: number,
  fingerprint: string,
  changes: Partial<NewMachine> = {},
): NewMachine {
  return {
    licenseId,
    fingerprint,
    name: null,
    ip: null,
    platform: null,
    isVm: false,
    username: null,
    createdAt: T0,
    lastSeenAt: T0,
    leaseExpiresAt: null,
    isOverdraft: false,
    expiresAt: null,
    deactivatedAt: null,
    ...changes,
  };
}

/** Either database's unique violation reaches the domain as a CONFLICT (storage/unique-violations.ts). */
export const UNIQUE_VIOLATION = { name: 'DomainError', code: 'CONFLICT' };
