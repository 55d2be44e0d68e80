/**
 * Small factories for the domain types of core/model.ts, for pure unit tests of the core. Each returns a
 * complete object with neutral values (a node-locked, perpetual, unlimited policy; an active license with no
 * machines), so a test names only what its row is about.
 */

import type { ApiTokenRecord } from '../core/access/token-ports.js';
import type { FeatureField, License, LicenseRules, Machine, Policy } from '../core/model.js';

/** The fixed "now" of the unit tests. */
export const NOW = new Date('2026-03-01T12:00:00.000Z');

/** An instant `seconds` after (negative: before) `from`. */
export function secondsAfter(seconds: number, from: Date = NOW): Date {
  return new Date(from.getTime() + seconds * 1000);
}

export const PRODUCT_ID = 7;
export const POLICY_ID = 11;
export const LICENSE_ID = 101;

export function aPolicy(overrides: Partial<Policy> = {}): Policy {
  return {
    id: POLICY_ID,
    productId: PRODUCT_ID,
    name: 'standard',
    maxMachines: 0,
    maxDeactivations: -1,
    isFloating: false,
    leaseSeconds: 0,
    maxOverdraft: 0,
    allowVm: true,
    durationSeconds: null,
    expirationBasis: 'CREATION',
    activationValiditySeconds: null,
    isTrial: false,
    allowLicenseAuth: true,
    keyFormat: 'XXXXX-XXXXX-XXXXX-XXXXX',
    featureFields: [],
    createdAt: new Date('2026-01-01T00:00:00.000Z'),
    ...overrides,
  };
}

/** Every rule inherited from the policy. */
export const NO_OVERRIDES: License['overrides'] = {
  maxMachines: null,
  maxDeactivations: null,
  isFloating: null,
  leaseSeconds: null,
  maxOverdraft: null,
  allowVm: null,
};

export function anOverride(overrides: Partial<LicenseRules>): License['overrides'] {
  return { ...NO_OVERRIDES, ...overrides };
}

export function aLicense(overrides: Partial<License> = {}): License {
  return {
    id: LICENSE_ID,
    key: 'ABCDE-FGHJK-LMNPQ-RSTUV',
    policyId: POLICY_ID,
    productIds: [PRODUCT_ID],
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
    createdAt: new Date('2026-02-01T00:00:00.000Z'),
    updatedAt: new Date('2026-02-01T00:00:00.000Z'),
    lastValidatedAt: null,
    ...overrides,
  };
}

let nextMachineId = 1000;

/** A node-locked machine that holds its seat; ids count up so machines in one test differ. */
export function aMachine(overrides: Partial<Machine> = {}): Machine {
  const id = nextMachineId++;
  return {
    id,
    licenseId: LICENSE_ID,
    fingerprint: `fp-${id}`,
    name: null,
    ip: null,
    platform: null,
    isVm: false,
    username: null,
    createdAt: new Date('2026-02-15T00:00:00.000Z'),
    lastSeenAt: new Date('2026-02-15T00:00:00.000Z'),
    leaseExpiresAt: null,
    isOverdraft: false,
    expiresAt: null,
    deactivatedAt: null,
    ...overrides,
  };
}

/** A floating machine whose lease runs until `leaseExpiresAt` (by default an hour after NOW). */
export function aFloatingMachine(overrides: Partial<Machine> = {}): Machine {
  return aMachine({ leaseExpiresAt: secondsAfter(3600), ...overrides });
}

/** `count` machines made by `make`, e.g. `machines(3, aFloatingMachine)`. */
export function machines(count: number, make: (o?: Partial<Machine>) => Machine = aMachine): Machine[] {
  return Array.from({ length: count }, () => make());
}

export function aFeatureField(overrides: Partial<FeatureField> = {}): FeatureField {
  return { name: 'seats', type: 'integer', isRequired: false, defaultValue: null, ...overrides };
}

/** An unrestricted API token holding every scope. */
export function aToken(overrides: Partial<ApiTokenRecord> = {}): ApiTokenRecord {
  return {
    id: 5,
    name: 'test token',
    prefix: 'kw_00000000',
    scopes: ['*'],
    productIds: [],
    licenseId: null,
    ipAllowlist: [],
    bindToFirstIp: false,
    boundIp: null,
    source: 'api',
    expiresAt: null,
    revokedAt: null,
    createdAt: new Date('2026-01-01T00:00:00.000Z'),
    lastUsedAt: null,
    ...overrides,
  };
}
