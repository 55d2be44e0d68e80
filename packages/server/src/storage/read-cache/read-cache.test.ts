import { describe, expect, it } from 'vitest';
import type { LicenseWithSeats } from '../../core/licenses/license-ports.js';
import {
  aLicense,
  aMachine,
  aPolicy,
  LICENSE_ID,
  NOW,
  POLICY_ID,
} from '../../test-support/domain-fixtures.js';
import { parseChangeMessage } from './cache-change.js';
import { type CachedToken, ReadCache } from './read-cache.js';

const seats = (licenseId = LICENSE_ID, key = `KEY-${licenseId}`): LicenseWithSeats => ({
  license: aLicense({ id: licenseId, key }),
  policy: aPolicy(),
  machines: [aMachine({ id: licenseId * 10, licenseId })],
});

function cached(found: LicenseWithSeats = seats()): ReadCache {
  const cache = new ReadCache(100);
  cache.storeSeats(cache.ticket(), found);
  return cache;
}

const token = (id: number): CachedToken =>
  ({ id, secretHash: `hash-${id}`, scopes: [], productIds: [], licenseId: null }) as unknown as CachedToken;

describe('the read cache', () => {
  it('answers what a load stored, by key and by id, until the license, a machine or its policy changes', () => {
    for (const change of [
      { licenses: [LICENSE_ID] },
      { machines: [LICENSE_ID * 10] },
      { policies: [POLICY_ID] },
      { everything: true },
    ]) {
      const cache = cached();
      expect(cache.seatsByKey(`KEY-${LICENSE_ID}`)?.license.id).toBe(LICENSE_ID);
      expect(cache.seatsById(LICENSE_ID)?.machines).toHaveLength(1);
      cache.apply(change);
      expect(cache.seatsByKey(`KEY-${LICENSE_ID}`), JSON.stringify(change)).toBeUndefined();
      expect(cache.seatsById(LICENSE_ID)).toBeUndefined();
    }
  });

  it('keeps other licenses when one changes', () => {
    const cache = cached();
    cache.storeSeats(cache.ticket(), seats(2));
    cache.apply({ licenses: [LICENSE_ID] });
    expect(cache.seatsById(2)?.license.id).toBe(2);
  });

  it('refuses to store a load that read before an invalidation of what it read', () => {
    for (const change of [
      { licenses: [LICENSE_ID] },
      { machines: [LICENSE_ID * 10] },
      { policies: [POLICY_ID] },
      { everything: true },
    ]) {
      const cache = new ReadCache(100);
      const ticket = cache.ticket();
      cache.apply(change);
      cache.storeSeats(ticket, seats());
      expect(cache.seatsById(LICENSE_ID), JSON.stringify(change)).toBeUndefined();
      // A load that began after the invalidation stores.
      cache.storeSeats(cache.ticket(), seats());
      expect(cache.seatsById(LICENSE_ID)).toBeDefined();
    }
  });

  it('stores a load whose ticket predates only invalidations of other licenses', () => {
    const cache = new ReadCache(100);
    const ticket = cache.ticket();
    cache.apply({ licenses: [999] });
    cache.storeSeats(ticket, seats());
    expect(cache.seatsById(LICENSE_ID)).toBeDefined();
  });

  it('refuses old loads once it has forgotten which invalidations they missed', () => {
    const cache = new ReadCache(100);
    const ticket = cache.ticket();
    for (let id = 1_000; id < 30_000; id++) cache.apply({ licenses: [id] });
    cache.storeSeats(ticket, seats());
    expect(cache.seatsById(LICENSE_ID)).toBeUndefined();
  });

  it('answers nothing and stores nothing while suspended, and starts empty when it resumes', () => {
    const cache = cached();
    const ticket = cache.ticket();
    cache.suspend();
    expect(cache.isLive).toBe(false);
    expect(cache.seatsById(LICENSE_ID)).toBeUndefined();
    cache.storeSeats(cache.ticket(), seats());
    expect(cache.seatsById(LICENSE_ID)).toBeUndefined();
    cache.resume();
    // A load from before the suspension must not fill the resumed cache.
    cache.storeSeats(ticket, seats());
    expect(cache.seatsById(LICENSE_ID)).toBeUndefined();
  });

  it('holds at most its bound of licenses, dropping the ones loaded first', () => {
    const cache = new ReadCache(3, { decodedEntries: 1 });
    for (let id = 1; id <= 5; id++) cache.storeSeats(cache.ticket(), seats(id));
    expect(cache.size).toBe(3);
    expect(cache.seatsById(1)).toBeUndefined();
    expect(cache.seatsByKey('KEY-2')).toBeUndefined();
    expect(cache.seatsById(5)).toBeDefined();
  });

  it('makes room by the license read longest ago, and forgets its key', () => {
    const cache = new ReadCache(2, { decodedEntries: 1 });
    cache.storeSeats(cache.ticket(), seats(1));
    cache.storeSeats(cache.ticket(), seats(2));
    expect(cache.seatsByKey('KEY-1')).toBeDefined();
    cache.storeSeats(cache.ticket(), seats(3));
    expect(cache.seatsByKey('KEY-2')).toBeUndefined();
    expect(cache.seatsById(1)?.license.key).toBe('KEY-1');
    expect(cache.seatsById(3)?.license.key).toBe('KEY-3');
    // A key that moved to another license is not taken from it when the old one goes.
    cache.storeSeats(cache.ticket(), seats(4, 'KEY-1'));
    expect(cache.seatsByKey('KEY-1')?.license.id).toBe(4);
  });

  it('hands out frozen objects, so nobody changes what other requests read', () => {
    const found = cached().seatsById(LICENSE_ID) as LicenseWithSeats;
    expect(() => {
      (found.license as { isSuspended: boolean }).isSuspended = true;
    }).toThrow(TypeError);
    expect(() => (found.machines as unknown[]).push(1)).toThrow(TypeError);
  });

  it('hands out the same objects at each read until the license changes, and the same content when decoded', () => {
    const cache = new ReadCache(100, { decodedEntries: 2 });
    const stored = [1, 2, 3].map((id) => structuredClone(seats(id)));
    for (const found of stored) cache.storeSeats(cache.ticket(), structuredClone(found));
    const first = cache.seatsById(3);
    expect(cache.seatsByKey('KEY-3')?.license).toBe(first?.license);
    expect(cache.seatsById(3)?.machines).toBe(first?.machines);
    // License 1 is past the decoded ones: it is decoded afresh, equal to what was stored, and frozen.
    const decoded = cache.seatsById(1) as LicenseWithSeats;
    expect(decoded).toStrictEqual(stored[0]);
    expect(Object.isFrozen(decoded.license) && Object.isFrozen(decoded.machines[0])).toBe(true);
    expect(cache.seatsById(1)?.license).toBe(decoded.license);
    cache.apply({ validated: { ids: [3], at: new Date(NOW.getTime() + 3_600_000) } });
    expect(cache.seatsById(3)?.license).not.toBe(first?.license);
  });

  it('takes validation bookkeeping in place instead of dropping the license, at most once a minute', () => {
    const cache = cached();
    cache.apply({ validated: { ids: [LICENSE_ID], at: NOW } });
    expect(cache.seatsById(LICENSE_ID)?.license.lastValidatedAt).toEqual(NOW);
    cache.apply({ validated: { ids: [LICENSE_ID], at: new Date(NOW.getTime() + 59_000) } });
    expect(cache.seatsById(LICENSE_ID)?.license.lastValidatedAt).toEqual(NOW);
    const later = new Date(NOW.getTime() + 60_001);
    cache.apply({ validated: { ids: [LICENSE_ID], at: later } });
    expect(cache.seatsById(LICENSE_ID)?.license.lastValidatedAt).toEqual(later);
  });

  it('takes an activation of its own in place when the entry holds the version it was decided on', () => {
    const before = seats();
    const activated = (from: LicenseWithSeats) => ({
      license: aLicense({
        id: LICENSE_ID,
        key: `KEY-${LICENSE_ID}`,
        activationCount: from.license.activationCount + 1,
        updatedAt: new Date(NOW.getTime() + 1),
      }),
      machine: aMachine({ id: 5000, licenseId: LICENSE_ID, fingerprint: 'new' }),
      before: {
        activationCount: from.license.activationCount,
        resetCount: from.license.resetCount,
        updatedAt: from.license.updatedAt,
      },
    });
    const cache = cached(before);
    const loading = cache.ticket();
    cache.apply({ activated: activated(before) });
    const kept = cache.seatsById(LICENSE_ID);
    expect(kept?.license.activationCount).toBe(before.license.activationCount + 1);
    expect(kept?.machines.map((m) => m.id)).toEqual([LICENSE_ID * 10, 5000]);
    // A load that read before the activation does not overwrite it.
    cache.storeSeats(loading, before);
    expect(cache.seatsById(LICENSE_ID)?.machines).toHaveLength(2);
    // The new machine is known: its deactivation drops the license.
    cache.apply({ machines: [5000] });
    expect(cache.seatsById(LICENSE_ID)).toBeUndefined();
    // An entry of another version (something changed it since the decision) is dropped, not patched.
    const changed = cached(seats());
    changed.apply({
      activated: { ...activated(before), before: { ...activated(before).before, resetCount: 7 } },
    });
    expect(changed.seatsById(LICENSE_ID)).toBeUndefined();
  });

  it('answers a product until it changes, and refuses a load that read before its change', () => {
    const product = (id: number, name = `product ${id}`) => ({ id, name, code: null, createdAt: NOW });
    const cache = new ReadCache(2);
    const before = cache.ticket();
    cache.storeProduct(cache.ticket(), product(1));
    cache.storeProduct(cache.ticket(), product(2));
    expect(cache.product(1)?.name).toBe('product 1');
    cache.apply({ products: [1] });
    expect(cache.product(1)).toBeUndefined();
    expect(cache.product(2)?.name).toBe('product 2');
    cache.storeProduct(before, product(1, 'read before the change'));
    expect(cache.product(1)).toBeUndefined();
    // Bounded like the rest: the one read longest ago makes room.
    cache.storeProduct(cache.ticket(), product(3));
    expect(cache.product(2)?.name).toBe('product 2');
    cache.storeProduct(cache.ticket(), product(4));
    expect(cache.product(3)).toBeUndefined();
    expect(cache.product(2)?.name).toBe('product 2');
    cache.apply({ everything: true });
    expect(cache.product(4)).toBeUndefined();
  });

  it('makes room among tokens by the one read longest ago, and forgets its id with it', () => {
    const cache = new ReadCache(2);
    cache.storeToken(cache.ticket(), token(1));
    cache.storeToken(cache.ticket(), token(2));
    expect(cache.token('hash-1')?.id).toBe(1);
    cache.storeToken(cache.ticket(), token(3));
    expect(cache.token('hash-2')).toBeUndefined();
    expect(cache.token('hash-1')?.id).toBe(1);
    // A token whose secret changed is kept under its new hash only.
    cache.storeToken(cache.ticket(), { ...token(1), secretHash: 'hash-1b' });
    expect(cache.token('hash-1')).toBeUndefined();
    cache.storeToken(cache.ticket(), token(4));
    cache.apply({ tokens: [1] });
    expect(cache.token('hash-1b')).toBeUndefined();
    expect(cache.token('hash-4')?.id).toBe(4);
  });

  it('forgets the invalidation made longest ago first, counting a name invalidated again as new', () => {
    const cache = new ReadCache(100);
    const ticket = cache.ticket();
    cache.apply({ licenses: [LICENSE_ID] });
    const afterFirst = cache.ticket();
    for (let id = 1_000; id < 20_999; id++) cache.apply({ licenses: [id] });
    cache.apply({ licenses: [LICENSE_ID] });
    // Two more push out the oldest two: licenses 1,000 and 1,001, not the license invalidated again.
    cache.apply({ licenses: [50_000] });
    cache.apply({ licenses: [50_001] });
    cache.storeSeats(afterFirst, seats());
    expect(cache.seatsById(LICENSE_ID), 'its newest invalidation is remembered').toBeUndefined();
    cache.storeSeats(ticket, seats(2));
    expect(cache.seatsById(2), 'loads older than what was forgotten store nothing').toBeUndefined();
    cache.storeSeats(cache.ticket(), seats());
    expect(cache.seatsById(LICENSE_ID)?.license.id).toBe(LICENSE_ID);
  });

  it('invalidates tokens by id', () => {
    const cache = new ReadCache(100);
    cache.storeToken(cache.ticket(), token(1));
    cache.storeToken(cache.ticket(), token(2));
    cache.apply({ tokens: [1] });
    expect(cache.token('hash-1')).toBeUndefined();
    expect(cache.token('hash-2')?.id).toBe(2);
  });
});

describe('change feed messages', () => {
  it('reads the triggers’ messages, and anything unreadable as everything', () => {
    expect(parseChangeMessage('l:1,22,333')).toEqual({ licenses: [1, 22, 333] });
    expect(parseChangeMessage('p:4')).toEqual({ policies: [4] });
    expect(parseChangeMessage('t:5')).toEqual({ tokens: [5] });
    expect(parseChangeMessage('c:6')).toEqual({ products: [6] });
    for (const odd of ['*', '', 'x:1', 'l:', 'l:1,a', 'l1'])
      expect(parseChangeMessage(odd), odd).toEqual({ everything: true });
  });
});
