import { describe, expect, it } from 'vitest';
import {
  aFloatingMachine,
  aLicense,
  aMachine,
  anOverride,
  aPolicy,
  LICENSE_ID,
  machines,
  NOW,
  PRODUCT_ID,
  secondsAfter,
} from '../../test-support/domain-fixtures.js';
import { DomainError, type ErrorCode } from '../domain-error.js';
import type { License, Machine, Policy } from '../model.js';
import {
  type ActivationDecision,
  type ActivationInput,
  type ActivationRequest,
  decideActivation,
  decideDeactivation,
  type TrialActivationMode,
} from './decide-activation.js';

const DAY = 86_400;
const PAST = secondsAfter(-60);
const FUTURE = secondsAfter(60);

interface Case {
  license?: Partial<License>;
  policy?: Partial<Policy>;
  machines?: Machine[];
  request?: Partial<ActivationRequest>;
  trialActivationMode?: TrialActivationMode;
}

function decide(c: Case = {}): ActivationDecision {
  const input: ActivationInput = {
    license: aLicense(c.license),
    policy: aPolicy(c.policy),
    machines: c.machines ?? [],
    request: { fingerprint: 'fp-new', ...c.request },
    now: NOW,
    trialActivationMode: c.trialActivationMode,
  };
  return decideActivation(input);
}

function refusal(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError, but the call succeeded');
}

function newSeat(decision: ActivationDecision) {
  if (decision.kind !== 'new') throw new Error(`expected a new seat, got ${decision.kind}`);
  return decision;
}

/** The kind of decision, or the code of the refusal. */
function outcomeOf(c: Case): ActivationDecision['kind'] | ErrorCode {
  try {
    return decide(c).kind;
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
}

type Row = Case & { name: string; expected: ActivationDecision['kind'] | ErrorCode };

function table(rows: Row[]) {
  it.each(rows)('$name → $expected', ({ name: _name, expected, ...c }) => {
    expect(outcomeOf(c)).toBe(expected);
  });
}

describe('decideActivation', () => {
  describe('license states', () => {
    table([
      { name: 'an active license', expected: 'new' },
      { name: 'revoked', license: { revokedAt: PAST }, expected: 'LICENSE_REVOKED' },
      { name: 'revoked at this very instant', license: { revokedAt: NOW }, expected: 'LICENSE_REVOKED' },
      { name: 'a revocation scheduled for later', license: { revokedAt: FUTURE }, expected: 'new' },
      {
        name: 'revoked and suspended',
        license: { revokedAt: PAST, isSuspended: true },
        expected: 'LICENSE_REVOKED',
      },
      { name: 'suspended', license: { isSuspended: true }, expected: 'LICENSE_SUSPENDED' },
      {
        name: 'suspended and expired',
        license: { isSuspended: true, expiresAt: PAST },
        expected: 'LICENSE_SUSPENDED',
      },
      { name: 'expired', license: { expiresAt: PAST }, expected: 'LICENSE_EXPIRED' },
      { name: 'expiring at this very instant', license: { expiresAt: NOW }, expected: 'LICENSE_EXPIRED' },
      { name: 'expiring a second from now', license: { expiresAt: secondsAfter(1) }, expected: 'new' },
      {
        name: 'expired, but the app enforces expiry itself',
        license: { expiresAt: PAST },
        request: { isExpiryAdvisory: true },
        expected: 'new',
      },
      {
        name: 'suspended, even when expiry is advisory',
        license: { isSuspended: true },
        request: { isExpiryAdvisory: true },
        expected: 'LICENSE_SUSPENDED',
      },
      {
        name: 'revoked, even when expiry is advisory',
        license: { revokedAt: PAST },
        request: { isExpiryAdvisory: true },
        expected: 'LICENSE_REVOKED',
      },
      {
        name: 'a machine that is already active on a revoked license',
        license: { revokedAt: PAST },
        machines: [aMachine({ fingerprint: 'fp-new' })],
        expected: 'LICENSE_REVOKED',
      },
      { name: 'another product', request: { productId: 999 }, expected: 'PRODUCT_MISMATCH' },
      { name: "the policy's product", request: { productId: PRODUCT_ID }, expected: 'new' },
      {
        name: 'a further product the key unlocks',
        license: { productIds: [PRODUCT_ID, 8, 9] },
        request: { productId: 8 },
        expected: 'new',
      },
      {
        name: 'a product the multi-product key does not unlock',
        license: { productIds: [PRODUCT_ID, 8, 9] },
        request: { productId: 10 },
        expected: 'PRODUCT_MISMATCH',
      },
      {
        name: 'expired and another product: the product is reported, as validation does',
        license: { expiresAt: PAST },
        request: { productId: 999 },
        expected: 'PRODUCT_MISMATCH',
      },
    ]);
  });

  describe('node-locked seat limit', () => {
    table([
      {
        name: 'maxMachines 0 is unlimited',
        policy: { maxMachines: 0 },
        machines: machines(100),
        expected: 'new',
      },
      { name: 'the first of one seat', policy: { maxMachines: 1 }, expected: 'new' },
      { name: 'the last free seat', policy: { maxMachines: 3 }, machines: machines(2), expected: 'new' },
      {
        name: 'every seat taken',
        policy: { maxMachines: 3 },
        machines: machines(3),
        expected: 'MACHINE_LIMIT_REACHED',
      },
      {
        name: "the license's seat limit overrides the policy's",
        policy: { maxMachines: 5 },
        license: { overrides: anOverride({ maxMachines: 1 }) },
        machines: machines(1),
        expected: 'MACHINE_LIMIT_REACHED',
      },
      {
        name: "a license override of 0 lifts the policy's limit",
        policy: { maxMachines: 1 },
        license: { overrides: anOverride({ maxMachines: 0 }) },
        machines: machines(5),
        expected: 'new',
      },
      {
        name: 'deactivated machines give their seat back',
        policy: { maxMachines: 1 },
        machines: [aMachine({ deactivatedAt: PAST })],
        expected: 'new',
      },
      {
        name: 'floating leases do not take node-locked seats',
        policy: { maxMachines: 1 },
        machines: [aFloatingMachine()],
        expected: 'new',
      },
      {
        name: 'an overdraft allowance never applies to node-locked seats',
        policy: { maxMachines: 1, maxOverdraft: 3 },
        machines: machines(1),
        expected: 'MACHINE_LIMIT_REACHED',
      },
    ]);

    it('names the limit in the refusal', () => {
      const error = refusal(() => decide({ policy: { maxMachines: 2 }, machines: machines(2) }));
      expect([error.code, error.details]).toEqual(['MACHINE_LIMIT_REACHED', { maxMachines: 2 }]);
    });
  });

  describe('re-activating a fingerprint that holds a seat', () => {
    it('is existing and uses no seat, even when the license is full', () => {
      const held = aMachine({ fingerprint: 'fp-a' });
      const decision = decide({
        policy: { maxMachines: 2 },
        machines: [held, aMachine()],
        request: { fingerprint: 'fp-a' },
      });
      expect(decision).toEqual({ kind: 'existing', machine: held, leaseExpiresAt: null });
      if (decision.kind === 'existing') expect(decision.machine).toBe(held);
    });

    it('refreshes the lease of a floating machine', () => {
      const held = aFloatingMachine({ fingerprint: 'fp-a', leaseExpiresAt: secondsAfter(10) });
      expect(
        decide({
          policy: { isFloating: true, leaseSeconds: 900, maxMachines: 1 },
          machines: [held],
          request: { fingerprint: 'fp-a' },
        }),
      ).toEqual({ kind: 'existing', machine: held, leaseExpiresAt: secondsAfter(900) });
    });

    it('keeps a machine admitted before the policy forbade VMs or named users', () => {
      const held = aMachine({ fingerprint: 'fp-a', isVm: true });
      const decision = decide({
        policy: { allowVm: false },
        license: { namedUsers: [{ username: 'alice', platform: 'any' }] },
        machines: [held],
        request: { fingerprint: 'fp-a', isVm: true, username: 'mallory' },
      });
      expect(decision.kind).toBe('existing');
    });

    it('refuses a machine whose per-activation validity ended', () => {
      const error = refusal(() =>
        decide({
          machines: [aMachine({ fingerprint: 'fp-a', expiresAt: PAST })],
          request: { fingerprint: 'fp-a' },
        }),
      );
      expect([error.code, error.message]).toEqual([
        'LICENSE_EXPIRED',
        "this machine's activation has expired",
      ]);
    });

    it('takes a floating lease for a fingerprint that already holds a node-locked seat (separate pools)', () => {
      const decision = newSeat(
        decide({
          machines: [aMachine({ fingerprint: 'fp-a' })],
          request: { fingerprint: 'fp-a', lease: { seconds: 300, maxOverdraft: 0 } },
        }),
      );
      expect([decision.revive, decision.machine.leaseExpiresAt]).toEqual([null, secondsAfter(300)]);
    });
  });

  describe('allowed machines', () => {
    const allowed = { allowedMachines: ['fp-vip'] };
    table([
      {
        name: 'a listed fingerprint when every node-locked seat is taken',
        policy: { maxMachines: 1 },
        license: allowed,
        machines: machines(1),
        request: { fingerprint: 'fp-vip' },
        expected: 'new',
      },
      {
        name: 'an unlisted fingerprint when every seat is taken',
        policy: { maxMachines: 1 },
        license: allowed,
        machines: machines(1),
        request: { fingerprint: 'fp-other' },
        expected: 'MACHINE_LIMIT_REACHED',
      },
      {
        name: 'a listed fingerprint when seats and overdraft are used up',
        policy: { maxMachines: 1, isFloating: true, leaseSeconds: 60, maxOverdraft: 1 },
        license: allowed,
        machines: machines(2, aFloatingMachine),
        request: { fingerprint: 'fp-vip' },
        expected: 'new',
      },
      {
        name: 'a listed fingerprint refused for another reason (VM)',
        policy: { maxMachines: 1, allowVm: false },
        license: allowed,
        request: { fingerprint: 'fp-vip', isVm: true },
        expected: 'VM_NOT_ALLOWED',
      },
    ]);

    it('takes a full seat, not an overdraft one', () => {
      const decision = newSeat(
        decide({
          policy: { maxMachines: 1, isFloating: true, leaseSeconds: 60, maxOverdraft: 1 },
          license: allowed,
          machines: machines(1, aFloatingMachine),
          request: { fingerprint: 'fp-vip' },
        }),
      );
      expect(decision.machine.isOverdraft).toBe(false);
    });
  });

  describe('virtual machines', () => {
    table([
      {
        name: 'a VM when the policy allows VMs',
        policy: { allowVm: true },
        request: { isVm: true },
        expected: 'new',
      },
      {
        name: 'a VM when the policy forbids VMs',
        policy: { allowVm: false },
        request: { isVm: true },
        expected: 'VM_NOT_ALLOWED',
      },
      {
        name: 'a physical machine when the policy forbids VMs',
        policy: { allowVm: false },
        request: { isVm: false },
        expected: 'new',
      },
      {
        name: 'a VM when the license forbids VMs over an allowing policy',
        policy: { allowVm: true },
        license: { overrides: anOverride({ allowVm: false }) },
        request: { isVm: true },
        expected: 'VM_NOT_ALLOWED',
      },
      {
        name: 'a VM when the license allows VMs over a forbidding policy',
        policy: { allowVm: false },
        license: { overrides: anOverride({ allowVm: true }) },
        request: { isVm: true },
        expected: 'new',
      },
      {
        name: 'a VM refused before the seat limit is looked at',
        policy: { allowVm: false, maxMachines: 1 },
        machines: machines(1),
        request: { isVm: true },
        expected: 'VM_NOT_ALLOWED',
      },
    ]);

    it('records the VM flag', () => {
      expect(newSeat(decide({ request: { isVm: true } })).machine.isVm).toBe(true);
      expect(newSeat(decide({})).machine.isVm).toBe(false);
    });
  });

  describe('named users', () => {
    const license: Partial<License> = {
      namedUsers: [
        { username: 'alice', platform: 'windows' },
        { username: 'Bob', platform: 'any' },
      ],
    };
    table([
      {
        name: 'a listed user on her platform',
        license,
        request: { username: 'alice', userPlatform: 'windows' },
        expected: 'new',
      },
      {
        name: 'user names ignore case',
        license,
        request: { username: 'ALICE', userPlatform: 'windows' },
        expected: 'new',
      },
      {
        name: 'a listed user on another platform',
        license,
        request: { username: 'alice', userPlatform: 'macos' },
        expected: 'USERNAME_NOT_ALLOWED',
      },
      {
        name: 'a listed user whose platform is not stated',
        license,
        request: { username: 'alice' },
        expected: 'new',
      },
      {
        name: 'a user allowed on any platform',
        license,
        request: { username: 'bob', userPlatform: 'linux' },
        expected: 'new',
      },
      { name: 'an unlisted user', license, request: { username: 'carol' }, expected: 'USERNAME_NOT_ALLOWED' },
      { name: 'no user name', license, request: {}, expected: 'USERNAME_NOT_ALLOWED' },
      { name: 'a license without named users takes anyone', request: { username: 'carol' }, expected: 'new' },
      {
        name: 'an unlisted user refused before the seat limit is looked at',
        license,
        policy: { maxMachines: 1 },
        machines: machines(1),
        request: { username: 'carol' },
        expected: 'USERNAME_NOT_ALLOWED',
      },
    ]);

    it('names the refused user, or null when none was given', () => {
      const named = refusal(() => decide({ license, request: { username: 'carol' } }));
      expect([named.code, named.details]).toEqual(['USERNAME_NOT_ALLOWED', { username: 'carol' }]);
      const anonymous = refusal(() => decide({ license }));
      expect(anonymous.details).toEqual({ username: null });
    });
  });

  describe('floating leases', () => {
    const floating: Partial<Policy> = {
      isFloating: true,
      leaseSeconds: 600,
      maxMachines: 2,
      maxOverdraft: 1,
    };

    it('sets the lease expiry from the policy', () => {
      const decision = newSeat(decide({ policy: floating }));
      expect([decision.machine.leaseExpiresAt, decision.machine.isOverdraft]).toEqual([
        secondsAfter(600),
        false,
      ]);
    });

    it('takes the lease length from a license override', () => {
      const decision = newSeat(
        decide({ policy: floating, license: { overrides: anOverride({ leaseSeconds: 30 }) } }),
      );
      expect(decision.machine.leaseExpiresAt).toEqual(secondsAfter(30));
    });

    it('grants an overdraft lease when the seats are taken but the allowance is not', () => {
      const decision = newSeat(decide({ policy: floating, machines: machines(2, aFloatingMachine) }));
      expect([decision.machine.isOverdraft, decision.machine.leaseExpiresAt]).toEqual([
        true,
        secondsAfter(600),
      ]);
    });

    table([
      {
        name: 'beyond the overdraft allowance',
        policy: floating,
        machines: machines(3, aFloatingMachine),
        expected: 'MACHINE_LIMIT_REACHED',
      },
      {
        name: 'seats taken and no overdraft allowed',
        policy: { ...floating, maxOverdraft: 0 },
        machines: machines(2, aFloatingMachine),
        expected: 'MACHINE_LIMIT_REACHED',
      },
      {
        name: 'lapsed leases of other machines free their seats',
        policy: { ...floating, maxOverdraft: 0 },
        machines: [aFloatingMachine({ leaseExpiresAt: PAST }), aFloatingMachine({ leaseExpiresAt: NOW })],
        expected: 'new',
      },
      {
        name: 'node-locked seats do not take floating leases',
        policy: { ...floating, maxOverdraft: 0 },
        machines: machines(2),
        expected: 'new',
      },
      {
        name: 'a floating license without a seat limit',
        policy: { ...floating, maxMachines: 0 },
        machines: machines(20, aFloatingMachine),
        expected: 'new',
      },
    ]);

    it('counts only running leases when deciding on an overdraft', () => {
      const decision = newSeat(
        decide({
          policy: floating,
          machines: [aFloatingMachine(), aFloatingMachine({ leaseExpiresAt: PAST })],
        }),
      );
      expect(decision.machine.isOverdraft).toBe(false);
    });
  });

  describe('per-request leases', () => {
    it('makes a floating lease on a node-locked policy, with the requested length', () => {
      const decision = newSeat(decide({ request: { lease: { seconds: 300, maxOverdraft: 0 } } }));
      expect(decision.machine.leaseExpiresAt).toEqual(secondsAfter(300));
    });

    it("overrides the floating policy's lease length", () => {
      const decision = newSeat(
        decide({
          policy: { isFloating: true, leaseSeconds: 600 },
          request: { lease: { seconds: 45, maxOverdraft: 0 } },
        }),
      );
      expect(decision.machine.leaseExpiresAt).toEqual(secondsAfter(45));
    });

    it('uses the requested overdraft allowance', () => {
      const c: Case = {
        policy: { maxMachines: 1, maxOverdraft: 0 },
        request: { lease: { seconds: 300, maxOverdraft: 1 } },
      };
      expect(newSeat(decide({ ...c, machines: machines(1, aFloatingMachine) })).machine.isOverdraft).toBe(
        true,
      );
      expect(outcomeOf({ ...c, machines: machines(2, aFloatingMachine) })).toBe('MACHINE_LIMIT_REACHED');
    });

    it('null asks for a node-locked seat on a floating policy', () => {
      const decision = newSeat(
        decide({ policy: { isFloating: true, leaseSeconds: 600 }, request: { lease: null } }),
      );
      expect(decision.machine.leaseExpiresAt).toBeNull();
    });
  });

  describe('reviving a floating machine whose lease lapsed', () => {
    const lapsed = aFloatingMachine({
      fingerprint: 'fp-a',
      leaseExpiresAt: PAST,
      createdAt: new Date('2026-02-20T00:00:00.000Z'),
      expiresAt: secondsAfter(DAY),
    });
    const policy: Partial<Policy> = {
      isFloating: true,
      leaseSeconds: 600,
      maxMachines: 1,
      activationValiditySeconds: 7 * DAY,
    };

    it('reuses the row with a fresh lease, its first-seen time and its activation validity', () => {
      const decision = newSeat(decide({ policy, machines: [lapsed], request: { fingerprint: 'fp-a' } }));
      expect(decision.revive).toBe(lapsed);
      expect(decision.machine).toMatchObject({
        fingerprint: 'fp-a',
        createdAt: new Date('2026-02-20T00:00:00.000Z'),
        lastSeenAt: NOW,
        leaseExpiresAt: secondsAfter(600),
        expiresAt: secondsAfter(DAY),
        isOverdraft: false,
      });
    });

    it('needs a free seat like any new lease', () => {
      const error = refusal(() =>
        decide({ policy, machines: [lapsed, aFloatingMachine()], request: { fingerprint: 'fp-a' } }),
      );
      expect(error.code).toBe('MACHINE_LIMIT_REACHED');
    });
  });

  describe('per-activation validity', () => {
    it('sets machine.expiresAt from the policy', () => {
      const decision = newSeat(decide({ policy: { activationValiditySeconds: 7 * DAY } }));
      expect(decision.machine.expiresAt).toEqual(secondsAfter(7 * DAY));
    });

    it('leaves machine.expiresAt null when activations last as long as the license', () => {
      expect(newSeat(decide({ policy: { activationValiditySeconds: null } })).machine.expiresAt).toBeNull();
    });
  });

  describe('license lifetime changes', () => {
    const activatedBefore = secondsAfter(-10 * DAY);
    const rows: (Case & { name: string; changes: { firstActivatedAt?: Date; expiresAt?: Date } })[] = [
      { name: 'the first activation is recorded', changes: { firstActivatedAt: NOW } },
      {
        name: 'later activations change nothing',
        license: { firstActivatedAt: activatedBefore },
        changes: {},
      },
      {
        name: 'FIRST_ACTIVATION starts the key lifetime',
        policy: { expirationBasis: 'FIRST_ACTIVATION', durationSeconds: 30 * DAY },
        changes: { firstActivatedAt: NOW, expiresAt: secondsAfter(30 * DAY) },
      },
      {
        name: 'a trial policy with FIRST_ACTIVATION starts the trial',
        policy: { isTrial: true, expirationBasis: 'FIRST_ACTIVATION', durationSeconds: 14 * DAY },
        changes: { firstActivatedAt: NOW, expiresAt: secondsAfter(14 * DAY) },
      },
      {
        name: 'FIRST_ACTIVATION keeps an expiry that was set by hand',
        policy: { expirationBasis: 'FIRST_ACTIVATION', durationSeconds: 30 * DAY },
        license: { expiresAt: secondsAfter(3 * DAY) },
        changes: { firstActivatedAt: NOW },
      },
      {
        name: 'FIRST_ACTIVATION without a duration stays perpetual',
        policy: { expirationBasis: 'FIRST_ACTIVATION', durationSeconds: null },
        changes: { firstActivatedAt: NOW },
      },
      {
        name: 'CREATION basis does not move the expiry',
        policy: { expirationBasis: 'CREATION', durationSeconds: 30 * DAY },
        license: { expiresAt: secondsAfter(20 * DAY) },
        changes: { firstActivatedAt: NOW },
      },
      {
        name: 'trial activation restarts the term at each new machine',
        policy: { maxMachines: 3 },
        license: { hasTrialActivation: true, termSeconds: 5 * DAY, firstActivatedAt: activatedBefore },
        changes: { expiresAt: secondsAfter(5 * DAY) },
      },
      {
        name: 'trial activation in first_activation mode restarts nothing after the first machine',
        policy: { maxMachines: 3 },
        license: { hasTrialActivation: true, termSeconds: 5 * DAY, firstActivatedAt: activatedBefore },
        trialActivationMode: 'first_activation',
        changes: {},
      },
      {
        name: 'trial activation in first_activation mode starts the term at the first machine',
        policy: { maxMachines: 3 },
        license: { hasTrialActivation: true, termSeconds: 5 * DAY },
        trialActivationMode: 'first_activation',
        changes: { firstActivatedAt: NOW, expiresAt: secondsAfter(5 * DAY) },
      },
      {
        name: 'trial activation needs a term',
        policy: { maxMachines: 3 },
        license: { hasTrialActivation: true, termSeconds: null, firstActivatedAt: activatedBefore },
        changes: {},
      },
      {
        name: 'trial activation needs a seat limit',
        policy: { maxMachines: 0 },
        license: { hasTrialActivation: true, termSeconds: 5 * DAY, firstActivatedAt: activatedBefore },
        changes: {},
      },
    ];
    it.each(rows)('$name', ({ name: _name, changes, ...c }) => {
      expect(newSeat(decide(c)).licenseChanges).toEqual(changes);
    });

    it('an existing machine changes nothing on a trial-activation license', () => {
      const held = aMachine({ fingerprint: 'fp-a' });
      const decision = decide({
        policy: { maxMachines: 3 },
        license: { hasTrialActivation: true, termSeconds: 5 * DAY, firstActivatedAt: secondsAfter(-DAY) },
        machines: [held],
        request: { fingerprint: 'fp-a' },
      });
      expect(decision).toEqual({ kind: 'existing', machine: held, leaseExpiresAt: null });
    });
  });

  describe('machines of unlimited licenses that are not recorded', () => {
    table([
      {
        name: 'node-locked, unlimited, not recorded',
        policy: { maxMachines: 0 },
        request: { recordsUnlimitedMachines: false },
        expected: 'unrecorded',
      },
      {
        name: 'node-locked, unlimited, recorded by default',
        policy: { maxMachines: 0 },
        expected: 'new',
      },
      {
        name: 'a seat limit always records',
        policy: { maxMachines: 1 },
        request: { recordsUnlimitedMachines: false },
        expected: 'new',
      },
      {
        name: 'a floating lease always records',
        policy: { maxMachines: 0, isFloating: true, leaseSeconds: 60 },
        request: { recordsUnlimitedMachines: false },
        expected: 'new',
      },
      {
        name: 'a VM is still refused',
        policy: { maxMachines: 0, allowVm: false },
        request: { recordsUnlimitedMachines: false, isVm: true },
        expected: 'VM_NOT_ALLOWED',
      },
    ]);

    it('is exactly { kind: unrecorded }', () => {
      expect(decide({ request: { recordsUnlimitedMachines: false } })).toEqual({ kind: 'unrecorded' });
    });
  });

  it('builds the complete new machine from the request', () => {
    expect(
      decide({
        request: {
          fingerprint: 'fp-full',
          name: 'build box',
          ip: '203.0.113.9',
          platform: 'linux',
          isVm: true,
          username: 'alice',
        },
      }),
    ).toEqual({
      kind: 'new',
      revive: null,
      licenseChanges: { firstActivatedAt: NOW },
      machine: {
        licenseId: LICENSE_ID,
        fingerprint: 'fp-full',
        name: 'build box',
        ip: '203.0.113.9',
        platform: 'linux',
        isVm: true,
        username: 'alice',
        createdAt: NOW,
        lastSeenAt: NOW,
        leaseExpiresAt: null,
        isOverdraft: false,
        expiresAt: null,
        deactivatedAt: null,
      },
    });
  });
});

describe('decideDeactivation', () => {
  type DeactivationRow = {
    name: string;
    policy?: Partial<Policy>;
    license?: Partial<License>;
    machine?: Machine;
    expected: boolean | ErrorCode;
  };
  const rows: DeactivationRow[] = [
    {
      name: '-1 is unlimited',
      policy: { maxDeactivations: -1 },
      license: { deactivationCount: 1000 },
      expected: true,
    },
    {
      name: 'below the limit',
      policy: { maxDeactivations: 3 },
      license: { deactivationCount: 2 },
      expected: true,
    },
    {
      name: 'at the limit',
      policy: { maxDeactivations: 3 },
      license: { deactivationCount: 3 },
      expected: 'DEACTIVATION_LIMIT_REACHED',
    },
    {
      name: '0 allows no deactivation',
      policy: { maxDeactivations: 0 },
      license: { deactivationCount: 0 },
      expected: 'DEACTIVATION_LIMIT_REACHED',
    },
    {
      name: "the license's limit overrides the policy's",
      policy: { maxDeactivations: 1 },
      license: { deactivationCount: 3, overrides: anOverride({ maxDeactivations: 5 }) },
      expected: true,
    },
    {
      name: 'a license limit of 0 overrides an unlimited policy',
      policy: { maxDeactivations: -1 },
      license: { overrides: anOverride({ maxDeactivations: 0 }) },
      expected: 'DEACTIVATION_LIMIT_REACHED',
    },
    {
      name: 'releasing a floating lease is free, even past the limit',
      policy: { maxDeactivations: 0 },
      machine: aFloatingMachine(),
      expected: false,
    },
    {
      name: 'releasing a lapsed floating lease is free',
      policy: { maxDeactivations: 0 },
      machine: aFloatingMachine({ leaseExpiresAt: PAST }),
      expected: false,
    },
  ];

  it.each(rows)('$name → $expected', ({ policy, license, machine, expected }) => {
    let result: boolean | ErrorCode;
    try {
      result = decideDeactivation({
        policy: aPolicy(policy),
        license: aLicense(license),
        machine: machine ?? aMachine(),
      }).countsTowardLimit;
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      result = error.code;
    }
    expect(result).toBe(expected);
  });

  it('counts each deactivation until the limit, then refuses naming it', () => {
    const policy = aPolicy({ maxDeactivations: 2 });
    let license = aLicense();
    const answers: boolean[] = [];
    for (let i = 0; i < 2; i++) {
      const { countsTowardLimit } = decideDeactivation({ license, policy, machine: aMachine() });
      answers.push(countsTowardLimit);
      if (countsTowardLimit) license = { ...license, deactivationCount: license.deactivationCount + 1 };
    }
    expect([answers, license.deactivationCount]).toEqual([[true, true], 2]);
    const error = refusal(() => decideDeactivation({ license, policy, machine: aMachine() }));
    expect([error.code, error.details]).toEqual(['DEACTIVATION_LIMIT_REACHED', { maxDeactivations: 2 }]);
  });
});
