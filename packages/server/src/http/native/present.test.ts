import { describe, expect, it } from 'vitest';
import { aLicense, aMachine, secondsAfter } from '../../test-support/domain-fixtures.js';
import { presentLicense, presentMachine } from './present.js';

/** The read cache holds licenses and machines frozen, with their Dates (read-cache.ts). */
const frozen = <T extends object>(value: T): T => Object.freeze(value);

describe('presenting licenses and machines', () => {
  const license = aLicense({ expiresAt: secondsAfter(86_400), lastValidatedAt: secondsAfter(-60) });
  const machine = aMachine();

  it('presents a frozen license exactly as a fresh one, ISO instants included', () => {
    const fresh = presentLicense({ license: { ...license }, status: 'active' });
    expect(presentLicense({ license: frozen({ ...license }), status: 'active' })).toEqual(fresh);
    expect(fresh.expiresAt).toBe(license.expiresAt?.toISOString());
    expect(fresh.createdAt).toBe(license.createdAt.toISOString());
    expect(presentMachine(frozen({ ...machine }))).toEqual(presentMachine({ ...machine }));
  });

  it('keeps the presentation of a frozen license while its status holds, and makes a new one when it changes', () => {
    const cached = frozen({ ...license });
    const first = presentLicense({ license: cached, status: 'active' });
    expect(presentLicense({ license: cached, status: 'active' })).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    const expired = presentLicense({ license: cached, status: 'expired' });
    expect(expired.status).toBe('expired');
    expect(expired).not.toBe(first);
  });

  it('presents a license the cache replaced (a new object) anew', () => {
    const before = frozen({ ...license });
    const after = frozen({ ...license, lastValidatedAt: secondsAfter(0) });
    expect(presentLicense({ license: before, status: 'active' }).lastValidatedAt).not.toBe(
      presentLicense({ license: after, status: 'active' }).lastValidatedAt,
    );
  });

  it('never keeps the presentation of an object that can still change', () => {
    const open = { ...license };
    const first = presentLicense({ license: open, status: 'active' });
    open.notes = 'changed';
    expect(presentLicense({ license: open, status: 'active' })).not.toBe(first);
    expect(presentLicense({ license: open, status: 'active' }).notes).toBe('changed');
  });
});
