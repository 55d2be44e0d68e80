import { describe, expect, it } from 'vitest';
import { POLICY_DEFAULTS } from '../catalog/catalog-service.js';
import type { License, NamedUser, Policy } from '../model.js';
import { type ActivationRequest, decideActivation } from './decide-activation.js';

/** Named users (a TurboFloat key's username list) and VM refusal, as core decides them for every surface. */

const now = new Date('2030-01-01T00:00:00Z');
const policy: Policy = {
  ...POLICY_DEFAULTS,
  featureFields: [],
  id: 1,
  productId: 1,
  name: 'p',
  createdAt: now,
};

function license(namedUsers: NamedUser[], allowVm: boolean | null = null): License {
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
      maxMachines: 5,
      maxDeactivations: null,
      isFloating: true,
      leaseSeconds: null,
      maxOverdraft: null,
      allowVm,
    },
    isCleanable: false,
    activationCount: 0,
    deactivationCount: 0,
    resetCount: 0,
    features: {},
    tags: [],
    allowedMachines: [],
    namedUsers,
    createdAt: now,
    updatedAt: now,
    lastValidatedAt: null,
  };
}

const decide = (l: License, request: Omit<ActivationRequest, 'fingerprint'>) => () =>
  decideActivation({ license: l, policy, machines: [], now, request: { fingerprint: 'f', ...request } });

describe('named users', () => {
  const users: NamedUser[] = [
    { username: 'alice', platform: 'linux' },
    { username: 'bob', platform: 'any' },
  ];
  it.each([
    [
      'a listed user on the listed platform (userPlatform)',
      { username: 'alice', userPlatform: 'linux' },
      true,
    ],
    [
      'a listed user on the listed platform (OS text)',
      { username: 'ALICE', platform: 'Fedora Linux 40' },
      true,
    ],
    [
      'a listed user on another platform (userPlatform)',
      { username: 'alice', userPlatform: 'windows' },
      false,
    ],
    ['a listed user on another platform (OS text)', { username: 'alice', platform: 'Windows 11' }, false],
    ['a listed user whose platform is not reported', { username: 'alice' }, true],
    ['a user allowed on any platform', { username: 'bob', platform: 'macOS' }, true],
    ['a user not on the list', { username: 'carol', platform: 'Linux' }, false],
    ['no username at all', { platform: 'Linux' }, false],
  ] as const)('%s', (_name, request, allowed) => {
    const run = decide(license(users), request);
    if (allowed) expect(run).not.toThrow();
    else expect(run).toThrow(expect.objectContaining({ code: 'USERNAME_NOT_ALLOWED' }));
  });

  it('a key without names lets anyone in', () => {
    expect(decide(license([]), { username: 'anyone' })).not.toThrow();
  });
});

describe('virtual machines', () => {
  it.each([
    [false, true, false],
    [false, false, true],
    [true, true, true],
    [null, true, true],
  ] as const)('allowVm override %s, isVm %s → allowed %s', (allowVm, isVm, allowed) => {
    const run = decide(license([], allowVm), { isVm });
    if (allowed) expect(run).not.toThrow();
    else expect(run).toThrow(expect.objectContaining({ code: 'VM_NOT_ALLOWED' }));
  });
});
