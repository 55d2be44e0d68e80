import { describe, expect, it } from 'vitest';
import {
  aFeatureField,
  aFloatingMachine,
  aLicense,
  aMachine,
  anOverride,
  aPolicy,
  machines,
  NOW,
  PRODUCT_ID,
  secondsAfter,
} from '../../test-support/domain-fixtures.js';
import type { License, Machine, Policy } from '../model.js';
import { type EvaluationInput, evaluateLicense } from './evaluate-license.js';
import { VALIDATION_CODES, type ValidationCode } from './validation-codes.js';

const DAY = 86_400;
const PAST = secondsAfter(-60);
const FUTURE = secondsAfter(60);

interface Row {
  name: string;
  license?: Partial<License> | null;
  policy?: Partial<Policy> | null;
  machines?: Machine[];
  scope?: EvaluationInput['scope'];
  latestOfFingerprint?: Machine;
  valid: boolean;
  code: ValidationCode;
}

function evaluate(row: Omit<Row, 'name' | 'valid' | 'code'>) {
  return evaluateLicense({
    license: row.license === null ? null : aLicense(row.license),
    policy: row.policy === null ? null : aPolicy(row.policy),
    machines: row.machines ?? [],
    scope: row.scope ?? {},
    now: NOW,
    latestOfFingerprint: row.latestOfFingerprint ?? null,
  });
}

const firstActivation: Partial<Policy> = { expirationBasis: 'FIRST_ACTIVATION', durationSeconds: 30 * DAY };

const rows: Row[] = [
  // Existence and blocking states.
  { name: 'no license', license: null, valid: false, code: 'NOT_FOUND' },
  { name: 'a license without its policy', policy: null, valid: false, code: 'NOT_FOUND' },
  { name: 'a plain active license', valid: true, code: 'VALID' },
  { name: 'revoked in the past', license: { revokedAt: PAST }, valid: false, code: 'REVOKED' },
  { name: 'revoked at this very instant', license: { revokedAt: NOW }, valid: false, code: 'REVOKED' },
  { name: 'a revocation scheduled for later', license: { revokedAt: FUTURE }, valid: true, code: 'VALID' },
  {
    name: 'REVOKED before SUSPENDED',
    license: { revokedAt: PAST, isSuspended: true },
    valid: false,
    code: 'REVOKED',
  },
  { name: 'suspended', license: { isSuspended: true }, valid: false, code: 'SUSPENDED' },
  {
    name: 'SUSPENDED before PRODUCT_MISMATCH',
    license: { isSuspended: true },
    scope: { productId: 999 },
    valid: false,
    code: 'SUSPENDED',
  },
  // Products.
  { name: 'another product', scope: { productId: 999 }, valid: false, code: 'PRODUCT_MISMATCH' },
  { name: "the policy's product", scope: { productId: PRODUCT_ID }, valid: true, code: 'VALID' },
  {
    name: 'a further product the key unlocks',
    license: { productIds: [PRODUCT_ID, 8, 9] },
    scope: { productId: 9 },
    valid: true,
    code: 'VALID',
  },
  {
    name: 'PRODUCT_MISMATCH before NOT_STARTED',
    policy: firstActivation,
    scope: { productId: 999 },
    valid: false,
    code: 'PRODUCT_MISMATCH',
  },
  {
    name: 'PRODUCT_MISMATCH before EXPIRED',
    license: { expiresAt: PAST },
    scope: { productId: 999 },
    valid: false,
    code: 'PRODUCT_MISMATCH',
  },
  // Lifetime.
  { name: 'FIRST_ACTIVATION, never activated', policy: firstActivation, valid: false, code: 'NOT_STARTED' },
  {
    name: 'NOT_STARTED before FEATURE_MISSING and the machine checks',
    policy: firstActivation,
    scope: { features: ['pro'], fingerprint: 'fp-a' },
    valid: false,
    code: 'NOT_STARTED',
  },
  {
    name: 'FIRST_ACTIVATION, activated and running',
    policy: firstActivation,
    license: { firstActivatedAt: secondsAfter(-DAY), expiresAt: secondsAfter(29 * DAY) },
    valid: true,
    code: 'VALID',
  },
  {
    name: 'FIRST_ACTIVATION without a duration is perpetual, so it has nothing to start',
    policy: { expirationBasis: 'FIRST_ACTIVATION', durationSeconds: null },
    valid: true,
    code: 'VALID',
  },
  {
    name: 'FIRST_ACTIVATION with an expiry set by hand is started',
    policy: firstActivation,
    license: { expiresAt: FUTURE },
    valid: true,
    code: 'VALID',
  },
  {
    name: 'CREATION basis with a duration runs without activation',
    policy: { expirationBasis: 'CREATION', durationSeconds: 30 * DAY },
    valid: true,
    code: 'VALID',
  },
  { name: 'expired', license: { expiresAt: PAST }, valid: false, code: 'EXPIRED' },
  { name: 'expiring at this very instant', license: { expiresAt: NOW }, valid: false, code: 'EXPIRED' },
  { name: 'expiring a second from now', license: { expiresAt: secondsAfter(1) }, valid: true, code: 'VALID' },
  {
    name: 'FIRST_ACTIVATION, activated, then expired',
    policy: firstActivation,
    license: { firstActivatedAt: secondsAfter(-31 * DAY), expiresAt: secondsAfter(-DAY) },
    valid: false,
    code: 'EXPIRED',
  },
  {
    name: 'EXPIRED before FEATURE_MISSING',
    license: { expiresAt: PAST },
    scope: { features: ['pro'] },
    valid: false,
    code: 'EXPIRED',
  },
  // Features.
  {
    name: 'a feature the license lacks',
    scope: { features: ['pro'] },
    valid: false,
    code: 'FEATURE_MISSING',
  },
  ...([false, 0, ''] as const).map(
    (value): Row => ({
      name: `a feature set to ${JSON.stringify(value)}`,
      license: { features: { pro: value } },
      scope: { features: ['pro'] },
      valid: false,
      code: 'FEATURE_MISSING',
    }),
  ),
  ...([true, 1, 'gold', '2027-01-01T00:00:00.000Z'] as const).map(
    (value): Row => ({
      name: `a feature set to ${JSON.stringify(value)}`,
      license: { features: { pro: value } },
      scope: { features: ['pro'] },
      valid: true,
      code: 'VALID',
    }),
  ),
  {
    name: "a feature given by the policy's default",
    policy: { featureFields: [aFeatureField({ name: 'pro', type: 'boolean', defaultValue: true })] },
    scope: { features: ['pro'] },
    valid: true,
    code: 'VALID',
  },
  {
    name: 'a license value false overrides a true default',
    policy: { featureFields: [aFeatureField({ name: 'pro', type: 'boolean', defaultValue: true })] },
    license: { features: { pro: false } },
    scope: { features: ['pro'] },
    valid: false,
    code: 'FEATURE_MISSING',
  },
  {
    name: 'one missing feature among present ones',
    license: { features: { a: true, b: 3 } },
    scope: { features: ['a', 'b', 'c'] },
    valid: false,
    code: 'FEATURE_MISSING',
  },
  ...['toString', 'constructor', 'hasOwnProperty', '__proto__'].map(
    (name): Row => ({
      name: `a feature named like an Object member ("${name}") that the license lacks`,
      scope: { features: [name] },
      valid: false,
      code: 'FEATURE_MISSING',
    }),
  ),
  {
    name: 'FEATURE_MISSING before NO_MACHINE',
    scope: { features: ['pro'], fingerprint: 'fp-a' },
    valid: false,
    code: 'FEATURE_MISSING',
  },
  // Machines.
  {
    name: 'no fingerprint asked, no machines',
    valid: true,
    code: 'VALID',
  },
  {
    name: 'a fingerprint on a license without machines',
    scope: { fingerprint: 'fp-a' },
    valid: false,
    code: 'NO_MACHINE',
  },
  {
    name: 'a fingerprint when the only other machine lost its lease',
    machines: [aFloatingMachine({ fingerprint: 'fp-b', leaseExpiresAt: PAST })],
    scope: { fingerprint: 'fp-a' },
    valid: false,
    code: 'NO_MACHINE',
  },
  {
    name: 'an unknown fingerprint while another machine holds a seat',
    machines: [aMachine({ fingerprint: 'fp-b' })],
    scope: { fingerprint: 'fp-a' },
    valid: false,
    code: 'FINGERPRINT_MISMATCH',
  },
  {
    name: 'a fingerprint whose machine was deactivated',
    machines: [aMachine({ fingerprint: 'fp-a', deactivatedAt: PAST }), aMachine({ fingerprint: 'fp-b' })],
    scope: { fingerprint: 'fp-a' },
    valid: false,
    code: 'FINGERPRINT_MISMATCH',
  },
  {
    name: 'a node-locked machine',
    machines: [aMachine({ fingerprint: 'fp-a' })],
    scope: { fingerprint: 'fp-a' },
    valid: true,
    code: 'VALID',
  },
  {
    name: 'a floating machine with a running lease',
    machines: [aFloatingMachine({ fingerprint: 'fp-a', leaseExpiresAt: FUTURE })],
    scope: { fingerprint: 'fp-a' },
    valid: true,
    code: 'VALID',
  },
  {
    name: 'a floating machine whose lease ran out',
    machines: [aFloatingMachine({ fingerprint: 'fp-a', leaseExpiresAt: PAST })],
    scope: { fingerprint: 'fp-a' },
    valid: false,
    code: 'LEASE_EXPIRED',
  },
  {
    name: 'a lease ending at this very instant',
    machines: [aFloatingMachine({ fingerprint: 'fp-a', leaseExpiresAt: NOW })],
    scope: { fingerprint: 'fp-a' },
    valid: false,
    code: 'LEASE_EXPIRED',
  },
  {
    name: 'a lease freed because it lapsed (deactivated at its end)',
    latestOfFingerprint: aFloatingMachine({ fingerprint: 'fp-a', leaseExpiresAt: PAST, deactivatedAt: PAST }),
    scope: { fingerprint: 'fp-a' },
    valid: false,
    code: 'LEASE_EXPIRED',
  },
  {
    name: 'a lease released before it lapsed',
    latestOfFingerprint: aFloatingMachine({
      fingerprint: 'fp-a',
      leaseExpiresAt: FUTURE,
      deactivatedAt: PAST,
    }),
    scope: { fingerprint: 'fp-a' },
    valid: false,
    code: 'NO_MACHINE',
  },
  {
    name: "another fingerprint's lapsed lease",
    latestOfFingerprint: aFloatingMachine({ fingerprint: 'fp-b', leaseExpiresAt: PAST, deactivatedAt: PAST }),
    scope: { fingerprint: 'fp-a' },
    valid: false,
    code: 'NO_MACHINE',
  },
  {
    name: 'LEASE_EXPIRED before ACTIVATION_EXPIRED',
    machines: [aFloatingMachine({ fingerprint: 'fp-a', leaseExpiresAt: PAST, expiresAt: PAST })],
    scope: { fingerprint: 'fp-a' },
    valid: false,
    code: 'LEASE_EXPIRED',
  },
  {
    name: 'a machine whose per-activation validity ended',
    machines: [aMachine({ fingerprint: 'fp-a', expiresAt: PAST })],
    scope: { fingerprint: 'fp-a' },
    valid: false,
    code: 'ACTIVATION_EXPIRED',
  },
  {
    name: 'a machine whose per-activation validity still runs',
    machines: [aMachine({ fingerprint: 'fp-a', expiresAt: FUTURE })],
    scope: { fingerprint: 'fp-a' },
    valid: true,
    code: 'VALID',
  },
  {
    name: 'ACTIVATION_EXPIRED before TOO_MANY_MACHINES',
    policy: { maxMachines: 1 },
    machines: [aMachine({ fingerprint: 'fp-a', expiresAt: PAST }), aMachine()],
    scope: { fingerprint: 'fp-a' },
    valid: false,
    code: 'ACTIVATION_EXPIRED',
  },
  // Seat counts.
  {
    name: 'at the seat limit',
    policy: { maxMachines: 2 },
    machines: machines(2),
    valid: true,
    code: 'VALID',
  },
  {
    name: 'over the node-locked seat limit',
    policy: { maxMachines: 2 },
    machines: machines(3),
    valid: false,
    code: 'TOO_MANY_MACHINES',
  },
  {
    name: 'over the limit, asked with the fingerprint of a machine that holds a seat',
    policy: { maxMachines: 1 },
    machines: [aMachine({ fingerprint: 'fp-a' }), aMachine()],
    scope: { fingerprint: 'fp-a' },
    valid: false,
    code: 'TOO_MANY_MACHINES',
  },
  {
    name: 'maxMachines 0 is unlimited',
    policy: { maxMachines: 0 },
    machines: machines(50),
    valid: true,
    code: 'VALID',
  },
  {
    name: "the license's seat limit overrides the policy's",
    policy: { maxMachines: 5 },
    license: { overrides: anOverride({ maxMachines: 1 }) },
    machines: machines(2),
    valid: false,
    code: 'TOO_MANY_MACHINES',
  },
  {
    name: 'deactivated machines and lapsed leases hold no seat',
    policy: { maxMachines: 1 },
    machines: [
      aMachine(),
      aMachine({ deactivatedAt: PAST }),
      aFloatingMachine({ leaseExpiresAt: PAST }),
      aFloatingMachine({ leaseExpiresAt: PAST }),
    ],
    valid: true,
    code: 'VALID',
  },
  {
    name: 'node-locked seats and floating leases are separate pools',
    policy: { maxMachines: 2, isFloating: true, leaseSeconds: 600 },
    machines: [...machines(2), ...machines(2, aFloatingMachine)],
    valid: true,
    code: 'VALID',
  },
  {
    name: 'floating leases inside the overdraft allowance stay usable',
    policy: { maxMachines: 2, isFloating: true, leaseSeconds: 600, maxOverdraft: 1 },
    machines: machines(3, aFloatingMachine),
    valid: true,
    code: 'TOO_MANY_MACHINES',
  },
  {
    name: 'floating leases beyond the overdraft allowance',
    policy: { maxMachines: 2, isFloating: true, leaseSeconds: 600, maxOverdraft: 1 },
    machines: machines(4, aFloatingMachine),
    valid: false,
    code: 'TOO_MANY_MACHINES',
  },
  {
    name: 'floating leases over the limit without an overdraft',
    policy: { maxMachines: 2, isFloating: true, leaseSeconds: 600, maxOverdraft: 0 },
    machines: machines(3, aFloatingMachine),
    valid: false,
    code: 'TOO_MANY_MACHINES',
  },
  {
    name: 'the overdraft allowance of a floating policy does not cover node-locked seats',
    policy: { maxMachines: 2, isFloating: true, leaseSeconds: 600, maxOverdraft: 5 },
    machines: machines(3),
    valid: false,
    code: 'TOO_MANY_MACHINES',
  },
  {
    name: 'an overdraft the policy has but a node-locked license override switches off',
    policy: { maxMachines: 1, isFloating: true, leaseSeconds: 600, maxOverdraft: 1 },
    license: { overrides: anOverride({ isFloating: false }) },
    machines: machines(2, aFloatingMachine),
    valid: false,
    code: 'TOO_MANY_MACHINES',
  },
  {
    name: 'overdraft leases granted per request on a node-locked policy stay usable',
    policy: { maxMachines: 1 },
    machines: [aFloatingMachine(), aFloatingMachine({ isOverdraft: true })],
    valid: true,
    code: 'TOO_MANY_MACHINES',
  },
  {
    name: 'leases beyond the limit that were not granted as overdraft',
    policy: { maxMachines: 1 },
    machines: machines(2, aFloatingMachine),
    valid: false,
    code: 'TOO_MANY_MACHINES',
  },
];

describe('evaluateLicense', () => {
  it.each(rows)('$name → $code', (row) => {
    const result = evaluate(row);
    expect({ valid: result.valid, code: result.code }).toEqual({ valid: row.valid, code: row.code });
    if (row.code !== 'FEATURE_MISSING') expect(result.detail).toBe(VALIDATION_CODES[row.code]);
  });

  it('names the missing feature in the detail', () => {
    const result = evaluate({ license: { features: { a: true } }, scope: { features: ['a', 'export'] } });
    expect(result).toEqual({
      valid: false,
      code: 'FEATURE_MISSING',
      detail: 'the license lacks the feature "export"',
    });
  });

  it('lets the first failing check win: fixing one failure at a time reveals the next, in order', () => {
    // A license that fails every check at once; each step repairs the failure that was just reported.
    let license = aLicense({
      revokedAt: PAST,
      isSuspended: true,
      expiresAt: PAST,
      overrides: anOverride({ maxMachines: 1 }),
    });
    let scope: EvaluationInput['scope'] = { productId: 999, features: ['pro'], fingerprint: 'fp-a' };
    let seats = [
      aFloatingMachine({ fingerprint: 'fp-a', leaseExpiresAt: PAST, expiresAt: PAST }),
      aMachine(),
      aMachine(),
    ];
    const policy = aPolicy();
    const repairs: [ValidationCode, () => void][] = [
      ['REVOKED', () => (license = { ...license, revokedAt: null })],
      ['SUSPENDED', () => (license = { ...license, isSuspended: false })],
      ['PRODUCT_MISMATCH', () => (scope = { ...scope, productId: PRODUCT_ID })],
      ['EXPIRED', () => (license = { ...license, expiresAt: FUTURE })],
      ['FEATURE_MISSING', () => (license = { ...license, features: { pro: true } })],
      ['LEASE_EXPIRED', () => (seats = seats.map((m) => ({ ...m, leaseExpiresAt: null })))],
      ['ACTIVATION_EXPIRED', () => (seats = seats.map((m) => ({ ...m, expiresAt: null })))],
      ['TOO_MANY_MACHINES', () => (license = { ...license, overrides: anOverride({ maxMachines: 3 }) })],
    ];
    const seen: ValidationCode[] = [];
    for (const [, repair] of repairs) {
      seen.push(evaluateLicense({ license, policy, machines: seats, scope, now: NOW }).code);
      repair();
    }
    seen.push(evaluateLicense({ license, policy, machines: seats, scope, now: NOW }).code);
    expect(seen).toEqual([...repairs.map(([code]) => code), 'VALID']);
  });
});
