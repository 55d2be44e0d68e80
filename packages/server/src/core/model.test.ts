import { describe, expect, it } from 'vitest';
import {
  aFloatingMachine,
  aLicense,
  aMachine,
  anOverride,
  aPolicy,
  NOW,
  secondsAfter,
} from '../test-support/domain-fixtures.js';
import { effectiveRules, holdsSeat, isFloatingMachine, type LicenseRules, type Machine } from './model.js';

describe('effectiveRules', () => {
  const policy = aPolicy({
    maxMachines: 5,
    maxDeactivations: 3,
    isFloating: true,
    leaseSeconds: 600,
    maxOverdraft: 2,
    allowVm: true,
  });
  const fromPolicy: LicenseRules = {
    maxMachines: 5,
    maxDeactivations: 3,
    isFloating: true,
    leaseSeconds: 600,
    maxOverdraft: 2,
    allowVm: true,
  };

  it('inherits every rule the license leaves null', () => {
    expect(effectiveRules(aLicense(), policy)).toEqual(fromPolicy);
  });

  // Zero and false are real overrides, not "unset": each row would fail with `||` instead of `??`.
  const rows: [keyof LicenseRules, LicenseRules[keyof LicenseRules]][] = [
    ['maxMachines', 0],
    ['maxMachines', 9],
    ['maxDeactivations', 0],
    ['maxDeactivations', -1],
    ['isFloating', false],
    ['leaseSeconds', 0],
    ['leaseSeconds', 30],
    ['maxOverdraft', 0],
    ['allowVm', false],
  ];

  it.each(rows)('takes the license override %s = %j', (rule, value) => {
    const license = aLicense({ overrides: anOverride({ [rule]: value }) });
    expect(effectiveRules(license, policy)).toEqual({ ...fromPolicy, [rule]: value });
  });

  it('takes several overrides at once', () => {
    const license = aLicense({ overrides: anOverride({ maxMachines: 1, allowVm: false }) });
    expect(effectiveRules(license, policy)).toEqual({ ...fromPolicy, maxMachines: 1, allowVm: false });
  });
});

describe('holdsSeat', () => {
  const rows: [string, Machine, boolean][] = [
    ['a node-locked machine', aMachine(), true],
    ['a deactivated machine', aMachine({ deactivatedAt: secondsAfter(-60) }), false],
    [
      'a machine deactivated in the future is still deactivated',
      aMachine({ deactivatedAt: secondsAfter(60) }),
      false,
    ],
    ['a floating machine with a running lease', aFloatingMachine({ leaseExpiresAt: secondsAfter(1) }), true],
    ['a lease ending at this very instant', aFloatingMachine({ leaseExpiresAt: NOW }), false],
    ['a lapsed lease', aFloatingMachine({ leaseExpiresAt: secondsAfter(-1) }), false],
    ['a deactivated floating machine', aFloatingMachine({ deactivatedAt: secondsAfter(-60) }), false],
    // The seat stays taken when a per-activation validity ends (an AuthTool device keeps counting until reset).
    ['a machine whose activation validity ended', aMachine({ expiresAt: secondsAfter(-60) }), true],
  ];

  it.each(rows)('%s → %s', (_name, machine, expected) => {
    expect(holdsSeat(machine, NOW)).toBe(expected);
  });
});

describe('isFloatingMachine', () => {
  it('is true exactly when the machine has a lease, running or lapsed', () => {
    expect([
      isFloatingMachine(aMachine()),
      isFloatingMachine(aFloatingMachine()),
      isFloatingMachine(aFloatingMachine({ leaseExpiresAt: secondsAfter(-60) })),
    ]).toEqual([false, true, true]);
  });
});
