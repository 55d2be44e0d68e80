import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  isExpired,
  isRevoked,
  LICENSE_STATUSES,
  type LicenseStatus,
  licenseStatus,
} from '../core/licenses/license-status.js';
import type { License, Policy } from '../core/model.js';
import { at, licenseInput, policyInput, T0, unique } from '../test-support/store-inputs.js';
import { createTestStore, type TestDialect, testDialects } from '../test-support/test-store.js';

/**
 * Storage selects licenses by status in SQL; core decides a license's status (core/licenses/license-status.ts). This
 * contract holds them together: on both databases, at several instants, every query that filters or counts
 * licenses by status selects exactly the licenses whose `licenseStatus` is that status, for every combination
 * of revocation (none, in the past, at that instant, in the future), suspension and expiry (none, in the past,
 * at that instant, in the future). So do the queries that select by one rule of it: expiry notices skip the
 * revoked licenses, the sweep of cleanable licenses takes the expired ones.
 */

const dialects: TestDialect[] = await testDialects();
const MINUTE = 60_000;

/** Revocations and expiries are dated a minute before T0, at T0 and a minute after it. */
const dates = [null, at(-MINUTE), T0, at(MINUTE)];
/**
 * The instants statuses are read at: at T0 the dates lie in the past, at that instant and in the future; the
 * others move every boundary from ahead to met to passed.
 */
const INSTANTS = [-MINUTE, 0, MINUTE, 2 * MINUTE].map((offset) => ({
  now: at(offset),
  when: `T0 ${offset < 0 ? '-' : '+'} ${Math.abs(offset) / MINUTE} min`,
}));

const combinations: Array<Pick<License, 'revokedAt' | 'isSuspended' | 'expiresAt'>> = dates.flatMap(
  (revokedAt) =>
    [false, true].flatMap((isSuspended) => dates.map((expiresAt) => ({ revokedAt, isSuspended, expiresAt }))),
);

const ids = (licenses: Array<{ id: number }>) => licenses.map((license) => license.id);
const newestFirst = (a: number, b: number) => b - a;

describe.each(dialects)('the license status filter on %s', (dialect) => {
  let store: Awaited<ReturnType<typeof createTestStore>>;
  let policy: Policy;
  let licenses: License[];

  beforeAll(async () => {
    store = await createTestStore(dialect);
    const product = await store.products.insert({ name: unique('product'), code: null, createdAt: T0 });
    policy = await store.policies.insert(policyInput(product.id));
    licenses = [];
    for (const facts of combinations) licenses.push(await store.licenses.insert(licenseInput(policy, facts)));
  });
  afterAll(() => store.dispose());

  const withStatus = (status: LicenseStatus | undefined, now: Date) =>
    ids(licenses.filter((license) => status === undefined || licenseStatus(license, now) === status)).sort(
      newestFirst,
    );

  it('covers every status at every instant it reads at', () => {
    for (const { now } of INSTANTS) {
      for (const status of LICENSE_STATUSES) expect(withStatus(status, now).length).toBeGreaterThan(0);
    }
  });

  for (const { now, when } of INSTANTS) {
    it.each([undefined, ...LICENSE_STATUSES])(
      `list and countUpTo select status %s exactly at ${when}`,
      async (status) => {
        const expected = withStatus(status, now);
        const listed = await store.licenses.list({ status }, { after: null, limit: 1000, now });
        expect(ids(listed)).toEqual(expected);
        const oldestFirst = await store.licenses.list(
          { status },
          { after: null, limit: 1000, now, order: 'asc' },
        );
        expect(ids(oldestFirst)).toEqual([...expected].reverse());
        expect(await store.licenses.countUpTo({ status }, { now, max: 1000 })).toBe(expected.length);
        // The product's index leads instead of the licenses' ids; the status selects the same licenses.
        const ofProduct = await store.licenses.list(
          { status, productId: policy.productId },
          { after: null, limit: 1000, now },
        );
        expect(ids(ofProduct)).toEqual(expected);
      },
    );

    it.each([...LICENSE_STATUSES])(
      `pages through status %s without losing a license at ${when}`,
      async (status) => {
        const paged: number[] = [];
        for (let after: number | null = null; ; ) {
          const page: License[] = await store.licenses.list({ status }, { after, limit: 2, now });
          paged.push(...ids(page));
          if (page.length < 2) break;
          after = (page.at(-1) as License).id;
        }
        expect(paged).toEqual(withStatus(status, now));
      },
    );

    it(`the dashboard's overview counts each status as many licenses as have it at ${when}`, async () => {
      const overview = await store.stats.overview(now);
      expect({
        licenses: overview.licenses,
        active: overview.activeLicenses,
        suspended: overview.suspendedLicenses,
        expired: overview.expiredLicenses,
        revoked: overview.revokedLicenses,
      }).toEqual({
        licenses: licenses.length,
        active: withStatus('active', now).length,
        suspended: withStatus('suspended', now).length,
        expired: withStatus('expired', now).length,
        revoked: withStatus('revoked', now).length,
      });
    });

    it(`expiry notices go to the licenses not revoked at ${when}`, async () => {
      const from = at(-10 * MINUTE);
      const to = at(10 * MINUTE);
      const due = await store.expiryNotices.findDue({ kind: 'license.expired', from, to, now, limit: 1000 });
      const expected = licenses
        .filter((l) => l.expiresAt !== null && l.expiresAt >= from && l.expiresAt < to && !isRevoked(l, now))
        .sort((a, b) => (a.expiresAt as Date).getTime() - (b.expiresAt as Date).getTime() || a.id - b.id);
      expect(due.map((notice) => notice.licenseId)).toEqual(ids(expected));
    });
  }

  it('sends expiry notices to a license whose revocation is dated later', () => {
    // What tells core's rule from "any revocation counts" in the test above.
    expect(licenses.some((l) => l.expiresAt !== null && l.revokedAt !== null && !isRevoked(l, T0))).toBe(
      true,
    );
  });
});

describe.each(dialects)('the sweep of cleanable licenses on %s', (dialect) => {
  it('deletes, at each instant, the cleanable licenses expired by then, whatever else their status', async () => {
    const store = await createTestStore(dialect);
    try {
      const product = await store.products.insert({ name: unique('product'), code: null, createdAt: T0 });
      const policy = await store.policies.insert(policyInput(product.id));
      let remaining: License[] = [];
      for (const isCleanable of [true, false]) {
        for (const facts of combinations.filter((c) => c.expiresAt !== null)) {
          remaining.push(await store.licenses.insert(licenseInput(policy, { ...facts, isCleanable })));
        }
      }
      for (const { now } of INSTANTS) {
        const deleted = await store.transaction((tx) =>
          tx.licenseCleanup.deleteDueCleanable({ now, undatedGraceSeconds: 3600, limit: 1000 }),
        );
        const due = remaining.filter((l) => l.isCleanable && isExpired(l, now));
        expect(deleted.map((row) => row.licenseId).sort((a, b) => a - b)).toEqual(ids(due));
        remaining = remaining.filter((l) => !due.includes(l));
      }
      expect(remaining.every((l) => !l.isCleanable)).toBe(true);
    } finally {
      await store.dispose();
    }
  });
});
