import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  activate,
  createLicense,
  expectError,
  expectStatus,
  get,
  type Json,
  post,
  productWithPolicy,
} from '../../../test-support/native-calls.js';
import { describeRouteSecurity } from '../../../test-support/route-security.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';
import { testDialects } from '../../../test-support/test-store.js';

for (const dialect of await testDialects()) {
  describe(`stats routes (${dialect})`, () => {
    let t: TestApp;
    let start: Date;
    beforeAll(async () => {
      t = await createTestApp(dialect);
      t.clock.set(new Date('2026-03-10T10:30:00Z'));
      start = t.clock.now();
      const { policy } = await productWithPolicy(t, { maxMachines: 10 });
      const suspended = await createLicense(t, policy.id);
      await post(t, `/v1/licenses/${suspended.id}/actions/suspend`, {}, 200);
      await createLicense(t, policy.id, { expiresAt: '2026-03-11T00:00:00Z' });
      const revoked = await createLicense(t, policy.id);
      await post(t, `/v1/licenses/${revoked.id}/actions/revoke`, {}, 200);
      const live = await createLicense(t, policy.id);
      await activate(t, live.id, 'one');
      const gone = await activate(t, live.id, 'two');
      await expectStatus(t.call({ method: 'DELETE', url: `/v1/machines/${gone.id}` }), 204);
      await post(t, '/v1/customers', { name: 'Customer' });
      // Two hours later: one more activation and validations, good and bad.
      t.clock.advance(2 * 3600);
      await activate(t, live.id, 'three');
      for (const key of [live.key, live.key, suspended.key])
        await post(t, '/v1/licenses/actions/validate-key', { key }, 200);
      await t.keyward.bookkeeping.flush();
    });
    afterAll(() => t.dispose());

    it('counts products, policies, customers, licenses by state and live machines', async () => {
      t.clock.set(new Date('2026-03-12T00:00:00Z'));
      try {
        expect(await get(t, '/v1/stats/overview')).toEqual({
          products: 1,
          policies: 1,
          customers: 1,
          licenses: 4,
          activeLicenses: 1,
          suspendedLicenses: 1,
          revokedLicenses: 1,
          expiredLicenses: 1,
          activeMachines: 2,
        });
      } finally {
        t.clock.set(new Date(start.getTime() + 2 * 3600_000));
      }
    });

    it('counts activations and validation outcomes per hour, every bucket listed', async () => {
      const series = await get(
        t,
        `/v1/stats/events?bucket=hour&since=${encodeURIComponent(start.toISOString())}&until=2026-03-10T13:00:00Z`,
      );
      expect(series).toMatchObject({
        since: '2026-03-10T10:00:00.000Z',
        until: '2026-03-10T13:00:00.000Z',
        bucketSeconds: 3600,
      });
      const at = (hour: string, type: string) =>
        series.buckets.find((b: Json) => b.start === `2026-03-10T${hour}:00:00.000Z` && b.type === type)
          ?.count;
      expect(series.buckets).toHaveLength(3 * 3);
      expect(at('10', 'machine.activated')).toBe(2);
      expect(at('11', 'machine.activated')).toBe(0);
      expect(at('12', 'machine.activated')).toBe(1);
      expect(at('12', 'license.validated')).toBe(2);
      expect(at('12', 'license.validation_failed')).toBe(1);
      expect(at('10', 'license.validated')).toBe(0);
    });

    it('takes chosen types, and defaults to the last 30 days by day', async () => {
      const series = await get(t, '/v1/stats/events?types=license.created');
      expect(series.bucketSeconds).toBe(86_400);
      expect(series.buckets).toHaveLength(30);
      expect(series.buckets.reduce((sum: number, b: Json) => sum + b.count, 0)).toBe(4);
    });

    it('refuses reversed or too wide ranges and malformed types', async () => {
      await expectError(
        t.call({
          method: 'GET',
          url: '/v1/stats/events?since=2026-03-10T00:00:00Z&until=2026-03-01T00:00:00Z',
        }),
        400,
        'INVALID_INPUT',
      );
      await expectError(
        t.call({ method: 'GET', url: '/v1/stats/events?bucket=hour&since=2025-01-01T00:00:00Z' }),
        400,
        'INVALID_INPUT',
      );
      await expectError(
        t.call({ method: 'GET', url: '/v1/stats/events?types=DROP%20TABLE' }),
        400,
        'INVALID_INPUT',
      );
    });
  });
}

describeRouteSecurity('stats');
