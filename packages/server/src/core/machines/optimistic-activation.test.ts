import { describe, expect, it } from 'vitest';
import {
  aFloatingMachine,
  aLicense,
  aMachine,
  anOverride,
  aPolicy,
  NOW,
  PRODUCT_ID,
  secondsAfter,
} from '../../test-support/domain-fixtures.js';
import type { Actor } from '../access/actor.js';
import { operatorPrincipal } from '../access/principal.js';
import type { License, Machine, Policy } from '../model.js';
import type { ActivationRequest } from './decide-activation.js';
import { changedAt } from './license-version.js';
import { optimisticActivation } from './optimistic-activation.js';

/**
 * Which activations the optimistic path takes (a new machine on a free seat, nothing else to write) and which
 * it leaves to the locked path, one row per rule; and that what it takes is written as the locked path writes it.
 */

const actor: Actor = { tokenId: 5, ip: '192.0.2.1', via: 'native', principal: operatorPrincipal };
const activated = aLicense({
  overrides: anOverride({ maxMachines: 3 }),
  firstActivatedAt: secondsAfter(-600),
});

function optimistic(input: {
  license?: License;
  policy?: Policy | null;
  machines?: Machine[];
  request?: ActivationRequest;
}) {
  const found = {
    license: input.license ?? activated,
    policy: input.policy === undefined ? aPolicy() : input.policy,
    machines: input.machines ?? [aMachine()],
  };
  return optimisticActivation({ found, request: input.request ?? { fingerprint: 'new' }, actor, now: NOW });
}

describe('optimisticActivation', () => {
  it('writes a new machine on a free seat as the locked path would', () => {
    const write = optimistic({ license: { ...activated, activationCount: 4, resetCount: 1 } });
    expect(write).toEqual({
      licenseId: activated.id,
      expected: { activationCount: 4, resetCount: 1, updatedAt: activated.updatedAt },
      at: NOW,
      machine: expect.objectContaining({ fingerprint: 'new', createdAt: NOW, isOverdraft: false }),
      event: {
        type: 'machine.activated',
        licenseId: activated.id,
        productId: PRODUCT_ID,
        tokenId: 5,
        code: null,
        ip: '192.0.2.1',
        data: { via: 'native', isNew: true, fingerprint: 'new', isOverdraft: false },
        createdAt: NOW,
      },
    });
  });

  it('takes a floating lease in the overdraft too', () => {
    const floating = {
      ...activated,
      overrides: anOverride({ maxMachines: 1, isFloating: true, maxOverdraft: 1 }),
    };
    const write = optimistic({ license: floating, machines: [aFloatingMachine()] });
    expect(write?.machine.isOverdraft).toBe(true);
    expect(write?.event.data).toMatchObject({ isOverdraft: true });
  });

  const floatingLicense = {
    ...activated,
    overrides: anOverride({ maxMachines: 3, isFloating: true, leaseSeconds: 60 }),
  };
  it.each<{ name: string; input: Parameters<typeof optimistic>[0] }>([
    { name: 'a license without its policy', input: { policy: null } },
    { name: 'a refusal (every seat taken)', input: { machines: [aMachine(), aMachine(), aMachine()] } },
    { name: 'a refusal (suspended)', input: { license: { ...activated, isSuspended: true } } },
    {
      name: 'a fingerprint that holds its seat',
      input: { machines: [aMachine({ fingerprint: 'new' })] },
    },
    {
      name: 'a lapsed lease to free first',
      input: { license: floatingLicense, machines: [aFloatingMachine({ leaseExpiresAt: secondsAfter(-1) })] },
    },
    {
      name: 'the lapsed row of the same fingerprint, revived',
      input: {
        license: floatingLicense,
        machines: [aFloatingMachine({ fingerprint: 'new', leaseExpiresAt: secondsAfter(-1) })],
      },
    },
    {
      // Even without a term to restart: the product's setting is read under the lock.
      name: 'trial activation',
      input: { license: { ...activated, hasTrialActivation: true } },
    },
    { name: 'the first activation', input: { license: { ...activated, firstActivatedAt: null } } },
    {
      name: 'an activation not recorded',
      input: {
        license: { ...activated, overrides: anOverride({ maxMachines: 0 }) },
        request: { fingerprint: 'new', recordsUnlimitedMachines: false },
      },
    },
  ])('leaves $name to the locked path', ({ input }) => {
    expect(optimistic(input)).toBeNull();
  });
});

describe('changedAt', () => {
  it('is now after an older change, and a millisecond after the last change otherwise', () => {
    expect(changedAt({ updatedAt: secondsAfter(-1) }, NOW)).toEqual(NOW);
    expect(changedAt({ updatedAt: NOW }, NOW)).toEqual(new Date(NOW.getTime() + 1));
    expect(changedAt({ updatedAt: secondsAfter(5) }, NOW)).toEqual(new Date(secondsAfter(5).getTime() + 1));
  });
});
