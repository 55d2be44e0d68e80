import { describe, expect, it } from 'vitest';
import {
  aFloatingMachine,
  aLicense,
  aMachine,
  anOverride,
  aPolicy,
  NOW,
  secondsAfter,
} from '../../test-support/domain-fixtures.js';
import type { License, Machine } from '../model.js';
import { evaluateLicense } from '../validation/evaluate-license.js';
import { type ActivationRequest, decideActivation } from './decide-activation.js';

/**
 * The rules core gained for the Cryptolens dialect: floating leases and node-locked seats in separate pools,
 * per-request leases (null = node-locked), advisory expiry, unrecorded unlimited activations and trial
 * activation. One row per rule.
 */

const LIMIT_1 = anOverride({ maxMachines: 1 });
const lease = { seconds: 60, maxOverdraft: 0 };

function decide(input: {
  license?: License;
  machines?: Machine[];
  request: ActivationRequest;
  mode?: 'each_new_machine' | 'first_activation';
}) {
  return decideActivation({
    license: input.license ?? aLicense({ overrides: LIMIT_1 }),
    policy: aPolicy(),
    machines: input.machines ?? [],
    request: input.request,
    now: NOW,
    trialActivationMode: input.mode,
  });
}

describe('separate pools for node-locked seats and floating leases', () => {
  const rows: Array<{ name: string; machines: Machine[]; request: ActivationRequest; kind: string | Error }> =
    [
      {
        name: 'a floating lease fits beside a full node-locked pool',
        machines: [aMachine({ fingerprint: 'desk' })],
        request: { fingerprint: 'laptop', lease },
        kind: 'new',
      },
      {
        name: 'a node-locked seat fits beside a full floating pool',
        machines: [aFloatingMachine({ fingerprint: 'laptop' })],
        request: { fingerprint: 'desk', lease: null },
        kind: 'new',
      },
      {
        name: 'the same fingerprint may hold one of each',
        machines: [aMachine({ fingerprint: 'desk' })],
        request: { fingerprint: 'desk', lease },
        kind: 'new',
      },
      {
        name: 'a node-locked seat already held is the existing one, not a second',
        machines: [aMachine({ fingerprint: 'desk' }), aFloatingMachine({ fingerprint: 'desk' })],
        request: { fingerprint: 'desk', lease: null },
        kind: 'existing',
      },
      {
        name: 'a full floating pool refuses another lease',
        machines: [aFloatingMachine({ fingerprint: 'a' })],
        request: { fingerprint: 'b', lease },
        kind: new Error('every seat of the license is taken'),
      },
      {
        name: 'overdraft admits a lease beyond the limit',
        machines: [aFloatingMachine({ fingerprint: 'a' })],
        request: { fingerprint: 'b', lease: { seconds: 60, maxOverdraft: 1 } },
        kind: 'new',
      },
    ];
  for (const row of rows) {
    it(row.name, () => {
      const run = () => decide({ machines: row.machines, request: row.request });
      if (row.kind instanceof Error) expect(run).toThrow(row.kind.message);
      else expect(run().kind).toBe(row.kind);
    });
  }

  it('marks the overdraft seat and gives leases their requested length', () => {
    const decision = decide({
      machines: [aFloatingMachine({ fingerprint: 'a' })],
      request: { fingerprint: 'b', lease: { seconds: 90, maxOverdraft: 1 } },
    });
    expect(decision).toMatchObject({
      kind: 'new',
      machine: { isOverdraft: true, leaseExpiresAt: secondsAfter(90) },
    });
  });

  it('lease null asks for a node-locked seat even on a floating policy', () => {
    const decision = decideActivation({
      license: aLicense(),
      policy: aPolicy({ isFloating: true, leaseSeconds: 300 }),
      machines: [],
      request: { fingerprint: 'x', lease: null },
      now: NOW,
    });
    expect(decision).toMatchObject({ kind: 'new', machine: { leaseExpiresAt: null } });
  });
});

describe('expiry, unlimited licenses and trial activation', () => {
  const expired = aLicense({ overrides: LIMIT_1, expiresAt: secondsAfter(-1) });

  it('refuses an expired license unless expiry is advisory', () => {
    expect(() => decide({ license: expired, request: { fingerprint: 'x' } })).toThrow(
      'the license has expired',
    );
    expect(decide({ license: expired, request: { fingerprint: 'x', isExpiryAdvisory: true } }).kind).toBe(
      'new',
    );
  });

  it('still refuses a suspended license when expiry is advisory', () => {
    const suspended = aLicense({ isSuspended: true });
    expect(() =>
      decide({ license: suspended, request: { fingerprint: 'x', isExpiryAdvisory: true } }),
    ).toThrow('the license is suspended');
  });

  it('does not record node-locked machines of an unlimited license when asked not to', () => {
    const unlimited = aLicense({ overrides: anOverride({ maxMachines: 0 }) });
    expect(
      decide({ license: unlimited, request: { fingerprint: 'x', recordsUnlimitedMachines: false } }).kind,
    ).toBe('unrecorded');
    expect(decide({ license: unlimited, request: { fingerprint: 'x' } }).kind).toBe('new');
    // Floating leases are always recorded: they are what is counted.
    expect(
      decide({ license: unlimited, request: { fingerprint: 'x', lease, recordsUnlimitedMachines: false } })
        .kind,
    ).toBe('new');
  });

  const trial = (changes: Partial<License> = {}) =>
    aLicense({
      overrides: anOverride({ maxMachines: 3 }),
      hasTrialActivation: true,
      termSeconds: 7 * 86_400,
      expiresAt: secondsAfter(86_400),
      ...changes,
    });

  const rows: Array<{
    name: string;
    license: License;
    mode: 'each_new_machine' | 'first_activation';
    expiresAt: Date | undefined;
  }> = [
    {
      name: 'restarts the term at a new machine',
      license: trial(),
      mode: 'each_new_machine',
      expiresAt: secondsAfter(7 * 86_400),
    },
    {
      name: 'restarts it again at a later new machine',
      license: trial({ firstActivatedAt: secondsAfter(-3600) }),
      mode: 'each_new_machine',
      expiresAt: secondsAfter(7 * 86_400),
    },
    {
      name: 'first_activation: restarts at the first machine',
      license: trial(),
      mode: 'first_activation',
      expiresAt: secondsAfter(7 * 86_400),
    },
    {
      name: 'first_activation: leaves later machines alone',
      license: trial({ firstActivatedAt: secondsAfter(-3600) }),
      mode: 'first_activation',
      expiresAt: undefined,
    },
    {
      name: 'needs a seat limit',
      license: trial({ overrides: anOverride({ maxMachines: 0 }) }),
      mode: 'each_new_machine',
      expiresAt: undefined,
    },
    {
      name: 'needs trial activation switched on',
      license: trial({ hasTrialActivation: false }),
      mode: 'each_new_machine',
      expiresAt: undefined,
    },
  ];
  for (const row of rows) {
    it(`trial activation ${row.name}`, () => {
      const decision = decide({ license: row.license, request: { fingerprint: 'new' }, mode: row.mode });
      expect(decision.kind).toBe('new');
      if (decision.kind === 'new') expect(decision.licenseChanges.expiresAt).toEqual(row.expiresAt);
    });
  }
});

describe('evaluateLicense counts the pools separately', () => {
  const evaluate = (machines: Machine[], maxOverdraft = 0) =>
    evaluateLicense({
      license: aLicense({ overrides: anOverride({ maxMachines: 1, maxOverdraft }) }),
      policy: aPolicy(),
      machines,
      scope: {},
      now: NOW,
    });

  it('is valid with one seat of each kind under a limit of one', () => {
    expect(evaluate([aMachine(), aFloatingMachine()])).toMatchObject({ valid: true, code: 'VALID' });
  });

  it('is over its limit with two node-locked seats', () => {
    expect(evaluate([aMachine(), aMachine()])).toMatchObject({ valid: false, code: 'TOO_MANY_MACHINES' });
  });

  it('stays usable with a floating seat the caller took as overdraft', () => {
    expect(evaluate([aFloatingMachine(), aFloatingMachine({ isOverdraft: true })])).toMatchObject({
      valid: true,
      code: 'TOO_MANY_MACHINES',
    });
    expect(evaluate([aFloatingMachine(), aFloatingMachine()])).toMatchObject({ valid: false });
  });
});
