import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { License, Machine } from '../../core/model.js';
import { aLicense, aMachine } from '../../test-support/domain-fixtures.js';
import { EntryCodec } from './entry-codec.js';

const instant = fc.date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true });
const text = fc.string({ unit: 'binary', maxLength: 40 });
const integer = fc.maxSafeInteger().map((n) => (n === 0 ? 0 : n));
const orNull = <T>(value: fc.Arbitrary<T>) => fc.option(value, { nil: null });
const json = fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.parse(JSON.stringify(value)) as unknown);

/** Licenses as storage may hand them over, optional fields absent or present, odd texts and numbers. */
const license: fc.Arbitrary<License> = fc.record(
  {
    id: integer,
    key: text,
    policyId: integer,
    productIds: fc.array(integer, { maxLength: 4 }),
    customerId: orNull(integer),
    email: orNull(text),
    notes: orNull(fc.string({ unit: 'grapheme', maxLength: 2000 })),
    alias: orNull(text),
    expiresAt: orNull(instant),
    firstActivatedAt: orNull(instant),
    isSuspended: fc.boolean(),
    revokedAt: orNull(instant),
    overrides: fc.record({
      maxMachines: orNull(integer),
      maxDeactivations: orNull(fc.integer({ min: -1 })),
      isFloating: orNull(fc.boolean()),
      leaseSeconds: orNull(integer),
      maxOverdraft: orNull(integer),
      allowVm: orNull(fc.boolean()),
    }),
    isCleanable: fc.boolean(),
    activationCount: integer,
    deactivationCount: integer,
    resetCount: integer,
    // As storage reads them: from JSON, so no -0 or infinities.
    features: fc
      .dictionary(text, fc.oneof(text, fc.double(), fc.boolean()))
      .map((features) => JSON.parse(JSON.stringify(features))),
    tags: fc.array(text, { maxLength: 5 }),
    allowedMachines: fc.array(fc.string({ maxLength: 600 }), { maxLength: 3 }),
    namedUsers: fc.array(fc.record({ username: text, platform: fc.constant('any' as const) }), {
      maxLength: 3,
    }),
    createdAt: instant,
    updatedAt: instant,
    lastValidatedAt: orNull(instant),
    termSeconds: orNull(integer),
    hasTrialActivation: fc.boolean(),
    trialFingerprint: orNull(text),
    resellerId: orNull(integer),
    activationPeriod: orNull(fc.record({ count: integer, unit: fc.constant('month' as const) })),
    termPeriod: orNull(fc.record({ count: integer, unit: fc.constant('year' as const) })),
  },
  {
    noNullPrototype: true,
    requiredKeys: [
      'id',
      'key',
      'policyId',
      'productIds',
      'customerId',
      'email',
      'notes',
      'alias',
      'expiresAt',
      'firstActivatedAt',
      'isSuspended',
      'revokedAt',
      'overrides',
      'isCleanable',
      'activationCount',
      'deactivationCount',
      'resetCount',
      'features',
      'tags',
      'allowedMachines',
      'namedUsers',
      'createdAt',
      'updatedAt',
      'lastValidatedAt',
    ],
  },
) as fc.Arbitrary<License>;

const machine: fc.Arbitrary<Machine> = fc.record(
  {
    id: integer,
    licenseId: integer,
    fingerprint: text,
    name: orNull(text),
    ip: orNull(text),
    platform: orNull(text),
    isVm: fc.boolean(),
    username: orNull(text),
    createdAt: instant,
    lastSeenAt: instant,
    leaseExpiresAt: orNull(instant),
    isOverdraft: fc.boolean(),
    expiresAt: orNull(instant),
    deactivatedAt: orNull(instant),
  },
  { noNullPrototype: true },
);

describe('the encoding of a cached license', () => {
  it('decodes to exactly what was encoded: every field, absent ones stay absent', () => {
    const codec = new EntryCodec();
    fc.assert(
      fc.property(license, fc.array(machine, { maxLength: 4 }), (l, machines) => {
        const decoded = codec.decode(codec.encode(l, machines));
        // structuredClone: fast-check makes some objects without a prototype, which decoding cannot know of.
        expect(decoded).toStrictEqual(structuredClone({ license: l, machines }));
        for (const field of ['termSeconds', 'resellerId', 'activationPeriod'] as const)
          expect(field in decoded.license).toBe(field in l);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps values of an unexpected type, as JSON', () => {
    const codec = new EntryCodec();
    const odd = { ...aLicense(), customerId: 1.5, email: 42, expiresAt: '2026-01-01' } as unknown as License;
    expect(codec.decode(codec.encode(odd, [])).license).toStrictEqual(odd);
    fc.assert(
      fc.property(json, (value) => {
        const l = { ...aLicense(), features: value } as unknown as License;
        expect(codec.decode(codec.encode(l, [])).license).toStrictEqual(l);
      }),
    );
  });

  it('takes about a tenth of the memory of the objects: a license with a machine in ~200 bytes', () => {
    const codec = new EntryCodec();
    const encoded = codec.encode(aLicense(), [aMachine()]);
    expect(encoded.length).toBeLessThan(260);
    // One byte a character: V8 keeps such a string at one byte per character.
    expect(Buffer.byteLength(encoded, 'latin1')).toBe(encoded.length);
  });

  it('shares one frozen value between licenses with the same structured field, and bounds what it shares', () => {
    const codec = new EntryCodec();
    const first = codec.decode(codec.encode(aLicense({ tags: ['a', 'b'] }), [])).license;
    const second = codec.decode(codec.encode(aLicense({ id: 2, tags: ['a', 'b'] }), [])).license;
    expect(second.tags).toBe(first.tags);
    expect(Object.isFrozen(first.tags)).toBe(true);
    const long = ['x'.repeat(600)];
    const before = codec.internedCount;
    const decoded = codec.decode(codec.encode(aLicense({ tags: long }), [])).license;
    expect(decoded.tags).toStrictEqual(long);
    expect(codec.internedCount).toBe(before);
  });
});
