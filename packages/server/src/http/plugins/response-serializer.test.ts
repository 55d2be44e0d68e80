import fastJson from 'fast-json-stringify';
import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import { License, Machine, ValidationResult } from '../native/schemas.js';
import { withCheapUnions } from './response-serializer.js';

const T = '2026-11-23T10:00:00.000Z';
const asked = { key: 'K-1', licenseId: null, fingerprint: 'fp-1', productId: 2, features: ['pro'] };

const machine = {
  id: 7,
  licenseId: 1,
  fingerprint: 'fp-1',
  name: null,
  ip: '127.0.0.1',
  platform: 'linux',
  isVm: false,
  username: null,
  createdAt: T,
  lastSeenAt: T,
  leaseExpiresAt: null,
  isOverdraft: false,
  expiresAt: T,
  deactivatedAt: null,
};

const license = {
  id: 1,
  key: 'KEY-1',
  policyId: 2,
  productIds: [3],
  customerId: null,
  email: 'a@example.com',
  notes: null,
  alias: 'alias "quoted"',
  status: 'active',
  expiresAt: T,
  firstActivatedAt: null,
  isSuspended: false,
  revokedAt: null,
  overrides: {
    maxMachines: 3,
    maxDeactivations: null,
    isFloating: true,
    leaseSeconds: null,
    maxOverdraft: 0,
    allowVm: null,
  },
  isCleanable: false,
  activationCount: 1,
  deactivationCount: 0,
  resetCount: 0,
  features: { seats: 5, edition: 'pro', beta: true, ratio: 0.5 },
  tags: ['a'],
  allowedMachines: [],
  namedUsers: [{ username: 'ann', platform: 'linux' }],
  createdAt: T,
  updatedAt: T,
  lastValidatedAt: null,
};

const hasAnyOf = (schema: unknown): boolean =>
  typeof schema === 'object' &&
  schema !== null &&
  Object.entries(schema).some(([keyword, value]) => keyword === 'anyOf' || hasAnyOf(value));

describe('response serializer', () => {
  it('writes the same JSON as fast-json-stringify over the original schemas', () => {
    const cases: [unknown, unknown[]][] = [
      [
        ValidationResult,
        [
          { valid: true, code: 'VALID', detail: 'ok', nonce: 'n', ts: T, request: asked, license, machine },
          {
            valid: false,
            code: 'NOT_FOUND',
            detail: 'no',
            nonce: null,
            ts: T,
            request: { ...asked, key: null, licenseId: 4, features: null },
            license: null,
            machine: null,
          },
        ],
      ],
      [License, [license, { ...license, features: { y: 'z' }, customerId: 9 }]],
      [Machine, [machine]],
    ];
    for (const [schema, values] of cases) {
      const original = fastJson(schema as object);
      const cheap = fastJson(withCheapUnions(schema) as object);
      for (const value of values) expect(cheap(value)).toBe(original(value));
    }
  });

  it('leaves no union in the validate answer for the serializer to check with Ajv', () => {
    expect(hasAnyOf(ValidationResult)).toBe(true);
    expect(hasAnyOf(withCheapUnions(ValidationResult))).toBe(false);
  });

  it('keeps unions it cannot write without checking', () => {
    const objects = Type.Union([Type.Object({ a: Type.String() }), Type.Object({ b: Type.Integer() })]);
    expect(withCheapUnions(objects)).toHaveProperty('anyOf');
    const mixed = Type.Union([Type.String(), Type.Object({ a: Type.String() })]);
    expect(withCheapUnions(mixed)).toHaveProperty('anyOf');
    const serialize = fastJson(withCheapUnions(objects) as object);
    expect(serialize({ b: 2 })).toBe('{"b":2}');
  });
});
