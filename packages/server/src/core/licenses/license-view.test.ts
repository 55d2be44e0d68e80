import { describe, expect, it } from 'vitest';
import {
  aFloatingMachine,
  aLicense,
  aMachine,
  aPolicy,
  NOW,
  secondsAfter,
} from '../../test-support/domain-fixtures.js';
import { DomainError } from '../domain-error.js';
import type { License } from '../model.js';
import { assertNotRevoked, type LICENSE_STATUSES, licenseStatus } from './license-status.js';
import { licenseState, licenseView } from './license-view.js';

const PAST = secondsAfter(-60);
const FUTURE = secondsAfter(60);
const DAY_MS = 86_400_000;

const view = (license: Partial<License>, machines = [aMachine()]) =>
  licenseView({ license: aLicense(license), policy: aPolicy(), machines, now: NOW });

describe('license status', () => {
  const cases: Array<[string, Partial<License>, (typeof LICENSE_STATUSES)[number]]> = [
    ['plain', {}, 'active'],
    ['revoked', { revokedAt: PAST }, 'revoked'],
    ['revoked at this instant', { revokedAt: NOW }, 'revoked'],
    ['a revocation dated ahead is not in effect yet', { revokedAt: FUTURE }, 'active'],
    [
      'revoked wins over suspended and expired',
      { revokedAt: PAST, isSuspended: true, expiresAt: PAST },
      'revoked',
    ],
    ['suspended wins over expired', { isSuspended: true, expiresAt: PAST }, 'suspended'],
    ['suspended with a revocation ahead', { isSuspended: true, revokedAt: FUTURE }, 'suspended'],
    ['expired at this instant', { expiresAt: NOW }, 'expired'],
    ['expiring later', { expiresAt: FUTURE }, 'active'],
  ];
  it.each(cases)('%s', (_name, license, status) => {
    expect(licenseStatus(aLicense(license), NOW)).toBe(status);
    expect(view(license).status).toBe(status);
  });

  it('blocks a revoked or suspended license, not an expired one or one revoked later', () => {
    expect(view({ revokedAt: PAST }).isBlocked).toBe(true);
    expect(view({ isSuspended: true }).isBlocked).toBe(true);
    expect(view({ expiresAt: PAST }).isBlocked).toBe(false);
    const later = view({ revokedAt: FUTURE });
    expect([later.isBlocked, later.isRevoked, later.revokesAt]).toEqual([false, false, FUTURE]);
  });

  it('keeps a revocation final, also one dated ahead', () => {
    expect(() => assertNotRevoked(aLicense({ revokedAt: FUTURE }))).toThrow(DomainError);
    expect(() => assertNotRevoked(aLicense({ revokedAt: PAST }))).toThrow(/final/);
    expect(() => assertNotRevoked(aLicense({ isSuspended: true }))).not.toThrow();
  });
});

describe('license view', () => {
  it('counts days left, 0 once expired, null when perpetual', () => {
    expect(view({ expiresAt: new Date(NOW.getTime() + 2.5 * DAY_MS) }).daysLeft).toBe(2);
    expect(view({ expiresAt: PAST }).daysLeft).toBe(0);
    expect(view({ expiresAt: null }).daysLeft).toBeNull();
  });

  it('lists seat holders node-locked first, and lapsed leases apart', () => {
    const lapsed = aFloatingMachine({ id: 1, leaseExpiresAt: PAST });
    const floating = aFloatingMachine({ id: 2, leaseExpiresAt: FUTURE });
    const nodeLocked = aMachine({ id: 3 });
    const gone = aMachine({ id: 4, deactivatedAt: PAST });
    const v = view({}, [lapsed, floating, nodeLocked, gone]);
    expect(v.seatHolders.map((m) => m.id)).toEqual([3, 2]);
    expect([v.nodeLockedSeats, v.floatingSeats]).toEqual([1, 1]);
    expect(v.lapsedLeases.map((m) => m.id)).toEqual([1]);
  });

  it('applies the overrides over the policy', () => {
    const v = licenseView({
      license: aLicense({ overrides: { ...aLicense().overrides, maxMachines: 7 } }),
      policy: aPolicy({ maxMachines: 2, maxDeactivations: 3 }),
      machines: [],
      now: NOW,
    });
    expect([v.rules.maxMachines, v.rules.maxDeactivations]).toEqual([7, 3]);
  });

  it('tells each kind of trial, and the term in days', () => {
    expect(view({}).trial.isTrial).toBe(false);
    expect(view({ trialFingerprint: 'fp' }).trial).toMatchObject({ isTrial: true, fingerprint: 'fp' });
    expect(view({ hasTrialActivation: true }).trial.restartsOnActivation).toBe(true);
    expect(
      licenseView({ license: aLicense(), policy: aPolicy({ isTrial: true }), machines: [], now: NOW }).trial
        .isTrial,
    ).toBe(true);
    expect(view({ termSeconds: 30 * 86_400 }).termDays).toBe(30);
    expect(view({ createdAt: NOW, expiresAt: new Date(NOW.getTime() + 10 * DAY_MS) }).termDays).toBe(10);
  });

  it('has, without machines, the same state as the whole view', () => {
    const license = aLicense({ revokedAt: FUTURE, expiresAt: FUTURE, termSeconds: 3 * 86_400 });
    const policy = aPolicy({ maxMachines: 2 });
    const {
      seatHolders: _seatHolders,
      nodeLockedSeats: _nodeLockedSeats,
      floatingSeats: _floatingSeats,
      lapsedLeases: _lapsedLeases,
      activationOf: _activationOf,
      ...state
    } = licenseView({ license, policy, machines: [aMachine()], now: NOW });
    expect(licenseState({ license, policy, now: NOW })).toEqual(state);
    expect(state).toMatchObject({ isBlocked: false, revokesAt: FUTURE, termDays: 3 });
  });
});
