import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore } from '../../storage/create-store.js';
import { createLicense, get, productWithPolicy } from '../../test-support/native-calls.js';
import { createTestApp, type TestApp } from '../../test-support/test-app.js';
import { createPostgresSchemaUrl, testDialects } from '../../test-support/test-store.js';
import { operatorPrincipal } from '../access/principal.js';
import { manualClock } from '../clock.js';
import { createKeyward } from '../keyward.js';
import { SecretBox } from '../signing/secrets.js';

const DAY = 86_400;

for (const dialect of await testDialects()) {
  describe(`expiry notices (${dialect})`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect);
    });
    afterAll(() => t.dispose());

    const eventsOf = async (licenseId: number) =>
      (await get(t, `/v1/events?licenseId=${licenseId}&limit=1000`)).data
        .map((e: { type: string }) => e.type)
        .filter((type: string) => type.startsWith('license.expir'))
        .reverse();

    it('announces expiring soon, then expired, once each, and again after an extension', async () => {
      const { policy } = await productWithPolicy(t);
      const now = t.clock.now().getTime();
      const soon = await createLicense(t, policy.id, {
        expiresAt: new Date(now + 10 * DAY * 1000).toISOString(),
      });
      const far = await createLicense(t, policy.id, {
        expiresAt: new Date(now + 60 * DAY * 1000).toISOString(),
      });
      const perpetual = await createLicense(t, policy.id);
      expect(await t.keyward.expiryNotices.sweep()).toBe(0);
      t.clock.advance(4 * DAY);
      await t.keyward.expiryNotices.sweep();
      await t.keyward.expiryNotices.sweep();
      expect(await eventsOf(soon.id)).toEqual(['license.expiring_soon']);
      t.clock.advance(6 * DAY + 1);
      await t.keyward.expiryNotices.sweep();
      await t.keyward.expiryNotices.sweep();
      expect(await eventsOf(soon.id)).toEqual(['license.expiring_soon', 'license.expired']);
      expect(await eventsOf(far.id)).toEqual([]);
      expect(await eventsOf(perpetual.id)).toEqual([]);
      // Renewed: the new expiry is announced in its turn.
      await t.call({
        method: 'PATCH',
        url: `/v1/licenses/${soon.id}`,
        payload: { expiresAt: new Date(t.clock.now().getTime() + 3 * DAY * 1000).toISOString() },
      });
      await t.keyward.expiryNotices.sweep();
      expect(await eventsOf(soon.id)).toEqual([
        'license.expiring_soon',
        'license.expired',
        'license.expiring_soon',
      ]);
    });

    it('stays silent about licenses that expired long ago (old imports)', async () => {
      const { policy } = await productWithPolicy(t);
      const old = await createLicense(t, policy.id, {
        expiresAt: new Date(t.clock.now().getTime() - 30 * DAY * 1000).toISOString(),
      });
      await t.keyward.expiryNotices.sweep();
      expect(await eventsOf(old.id)).toEqual([]);
    });
  });
}

describe('expiry notices with several processes', async () => {
  const dialects = await testDialects();
  it.runIf(dialects.includes('postgres'))(
    'emits each notice once when schedulers race (PostgreSQL)',
    async () => {
      const { url, drop } = await createPostgresSchemaUrl();
      // Three stores with pools of their own on one schema: what three server processes would have.
      const stores = [0, 1, 2].map(() => createStore({ kind: 'postgres', url }, { poolSize: 3 }));
      try {
        await (stores[0] as (typeof stores)[0]).migrate();
        const clock = manualClock(new Date('2030-01-01T00:00:00Z'));
        const secretBox = new SecretBox('test-secret-that-is-long-enough-0123456789');
        const keywards = stores.map((store) =>
          createKeyward({
            store,
            clock,
            secretBox,
            onBackgroundError: (e) => {
              throw e;
            },
          }),
        );
        const [a] = keywards as [(typeof keywards)[0]];
        const actor = { tokenId: null, ip: null, via: 'test', principal: operatorPrincipal };
        const product = await a.catalog.createProduct(actor, { name: 'P', code: null });
        const policy = await a.catalog.createPolicy(actor, { productId: product.id, name: 'P' });
        await a.licenses.createMany(
          actor,
          policy.id,
          Array.from({ length: 300 }, (_, i) => ({
            expiresAt: new Date(clock.now().getTime() + (1 + (i % 5)) * DAY * 1000),
          })),
        );
        const emitted = await Promise.all(keywards.map((k) => k.expiryNotices.sweep()));
        expect(emitted.reduce((x, y) => x + y, 0)).toBe(300);
        const events = await (stores[0] as (typeof stores)[0]).events.list(
          { type: 'license.expiring_soon' },
          { before: null, limit: 1000 },
        );
        expect(events).toHaveLength(300);
        expect(new Set(events.map((e) => e.licenseId)).size).toBe(300);
      } finally {
        await Promise.all(stores.map((store) => store.close()));
        await drop();
      }
    },
  );
});
