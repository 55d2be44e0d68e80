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

    it('queues one email per notice for a license with an email address, in its words', async () => {
      const { product, policy } = await productWithPolicy(t, { name: 'Pro', maxMachines: 3 });
      const customer = (
        await t.call({ method: 'POST', url: '/v1/customers', payload: { name: 'Ann' } })
      ).json();
      const now = t.clock.now().getTime();
      const expiresAt = new Date(now + 3 * DAY * 1000);
      const mailed = await createLicense(t, policy.id, {
        expiresAt: expiresAt.toISOString(),
        email: 'ann@customer.test',
        customerId: customer.id,
      });
      const silent = await createLicense(t, policy.id, { expiresAt: expiresAt.toISOString() });
      const outbox = async (licenseId: number) =>
        (await t.store.emailOutbox.list({ status: null, licenseId, before: null, limit: 100 })).reverse();
      await t.keyward.expiryNotices.sweep();
      await t.keyward.expiryNotices.sweep();
      const soon = await outbox(mailed.id);
      expect(soon.map((m) => m.kind)).toEqual(['license_expiring_soon']);
      expect(soon[0]).toMatchObject({
        to: 'ann@customer.test',
        productId: product.id,
        customerId: customer.id,
        sealedSecrets: null,
        variables: {
          licenseKey: mailed.key,
          productName: product.name,
          policyName: 'Pro',
          customerName: 'Ann',
          expiresAt: `${expiresAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
          maxMachines: '3',
        },
      });
      t.clock.advance(3 * DAY + 1);
      await t.keyward.expiryNotices.sweep();
      await t.keyward.expiryNotices.sweep();
      expect((await outbox(mailed.id)).map((m) => m.kind)).toEqual([
        'license_expiring_soon',
        'license_expired',
      ]);
      expect(await outbox(silent.id)).toEqual([]);
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
            email: `c${i}@customer.test`,
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
        // One email per notice, whichever process recorded it.
        const emails = await (stores[0] as (typeof stores)[0]).emailOutbox.list({
          status: null,
          licenseId: null,
          before: null,
          limit: 1000,
        });
        expect(emails).toHaveLength(300);
        expect(new Set(emails.map((m) => m.licenseId)).size).toBe(300);
      } finally {
        await Promise.all(stores.map((store) => store.close()));
        await drop();
      }
    },
  );
});
