import { describe, expect, it } from 'vitest';
import { POLICY_DEFAULTS } from '../catalog/catalog-service.js';
import type { CalendarPeriod } from '../licenses/calendar-period.js';
import type { License, Machine, Policy } from '../model.js';
import { decideActivation } from './decide-activation.js';

/** Each activation's own validity: the license's calendar period, else the policy's seconds, else none. */

const now = new Date('2030-01-31T12:00:00Z');

function policy(activationValiditySeconds: number | null): Policy {
  return {
    ...POLICY_DEFAULTS,
    featureFields: [],
    activationValiditySeconds,
    id: 1,
    productId: 1,
    name: 'p',
    createdAt: now,
  };
}

function license(activationPeriod?: CalendarPeriod): License {
  return {
    id: 1,
    key: 'K',
    policyId: 1,
    productIds: [1],
    customerId: null,
    email: null,
    notes: null,
    alias: null,
    expiresAt: null,
    firstActivatedAt: null,
    isSuspended: false,
    revokedAt: null,
    overrides: {
      maxMachines: 3,
      maxDeactivations: null,
      isFloating: null,
      leaseSeconds: null,
      maxOverdraft: null,
      allowVm: null,
    },
    isCleanable: false,
    activationCount: 0,
    deactivationCount: 0,
    resetCount: 0,
    features: {},
    tags: [],
    allowedMachines: [],
    namedUsers: [],
    createdAt: now,
    updatedAt: now,
    lastValidatedAt: null,
    ...(activationPeriod ? { activationPeriod } : {}),
  };
}

function newMachineExpiry(l: License, p: Policy, machines: Machine[] = []): Date | null {
  const decision = decideActivation({
    license: l,
    policy: p,
    machines,
    now,
    request: { fingerprint: 'new' },
  });
  if (decision.kind !== 'new') throw new Error(`expected a new seat, got ${decision.kind}`);
  return decision.machine.expiresAt;
}

describe('per-activation validity', () => {
  it.each([
    ['none anywhere', undefined, null, null],
    ["the policy's seconds", undefined, 3600, '2030-01-31T13:00:00.000Z'],
    [
      "the license's calendar month (clamped to February 28)",
      { count: 1, unit: 'month' },
      null,
      '2030-02-28T12:00:00.000Z',
    ],
    [
      "the license's period over the policy's seconds",
      { count: 2, unit: 'week' },
      3600,
      '2030-02-14T12:00:00.000Z',
    ],
  ] as const)('%s', (_name, period, seconds, expected) => {
    const expiry = newMachineExpiry(license(period), policy(seconds));
    expect(expiry?.toISOString() ?? null).toBe(expected);
  });

  it('refuses a machine whose own validity is over, even while the license is valid', () => {
    const expired: Machine = {
      id: 1,
      licenseId: 1,
      fingerprint: 'old',
      name: null,
      ip: null,
      platform: null,
      isVm: false,
      username: null,
      createdAt: new Date('2030-01-01T00:00:00Z'),
      lastSeenAt: new Date('2030-01-01T00:00:00Z'),
      leaseExpiresAt: null,
      isOverdraft: false,
      expiresAt: new Date('2030-01-08T00:00:00Z'),
      deactivatedAt: null,
    };
    const run = () =>
      decideActivation({
        license: license({ count: 7, unit: 'day' }),
        policy: policy(null),
        machines: [expired],
        now,
        request: { fingerprint: 'old' },
      });
    expect(run).toThrow(expect.objectContaining({ code: 'LICENSE_EXPIRED' }));
    // The expired machine keeps its seat: seats count activations until a reset frees them.
    expect(newMachineExpiry(license({ count: 7, unit: 'day' }), policy(null), [expired])).not.toBeNull();
  });
});
