import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  activate,
  createLicense,
  createPolicy,
  createProduct,
  expectError,
  expectStatus,
  get,
  type Json,
  patch,
  post,
  productWithPolicy,
} from '../../../test-support/native-calls.js';
import { describeRouteSecurity } from '../../../test-support/route-security.js';
import { rowCounts } from '../../../test-support/row-counts.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';

const KEY_FORMAT = /^[A-Z2-9]{5}-[A-Z2-9]{5}-[A-Z2-9]{5}-[A-Z2-9]{5}$/;
const ids = (page: Json) => page.data.map((l: Json) => l.id);

describe('licenses routes', () => {
  let t: TestApp;
  let productId: number;
  let policyId: number;
  beforeAll(async () => {
    t = await createTestApp();
    const created = await productWithPolicy(t, { maxMachines: 5 });
    productId = created.product.id;
    policyId = created.policy.id;
  });
  afterAll(() => t.dispose());

  const counts = () => rowCounts(t.store, () => t.keyward.bookkeeping.flush());

  describe('POST /v1/licenses', () => {
    it('creates a license with a generated key and the policy’s lifetime', async () => {
      const policy = await createPolicy(t, productId, { durationSeconds: 3600 });
      const license = await createLicense(t, policy.id, {
        email: 'Buyer@Example.com',
        tags: ['beta', 'beta', ' gold '],
        notes: 'first',
      });
      expect(license).toMatchObject({
        policyId: policy.id,
        productIds: [productId],
        status: 'active',
        email: 'buyer@example.com',
        tags: ['beta', 'gold'],
        notes: 'first',
        isSuspended: false,
        revokedAt: null,
        activationCount: 0,
        expiresAt: new Date(t.clock.now().getTime() + 3600_000).toISOString(),
      });
      expect(license.key).toMatch(KEY_FORMAT);
    });

    it('keeps an imported key and extra products', async () => {
      const extra = await createProduct(t);
      const license = await createLicense(t, policyId, { key: 'IMPORTED-KEY-0001', productIds: [extra.id] });
      expect(license).toMatchObject({ key: 'IMPORTED-KEY-0001', productIds: [productId, extra.id] });
    });

    it('refuses an unknown policy, product or customer, and an invalid feature', async () => {
      const refuse = (payload: object, status: number, code: string) =>
        expectError(t.call({ method: 'POST', url: '/v1/licenses', payload }), status, code);
      const before = await counts();
      await refuse({ policyId: 999_999 }, 404, 'NOT_FOUND');
      await refuse({ policyId, productIds: [999_999] }, 404, 'NOT_FOUND');
      await refuse({ policyId, customerId: 999_999 }, 404, 'NOT_FOUND');
      await refuse({ policyId, features: { unknown: 1 } }, 422, 'FEATURE_INVALID');
      await refuse({ policyId, key: 'short' }, 400, 'INVALID_INPUT');
      expect(await counts()).toEqual(before);
    });

    it('answers a key another license holds with 409 CONFLICT', async () => {
      await createLicense(t, policyId, { key: 'TAKEN-KEY-0001' });
      await expectError(
        t.call({ method: 'POST', url: '/v1/licenses', payload: { policyId, key: 'TAKEN-KEY-0001' } }),
        409,
        'CONFLICT',
      );
    });
  });

  describe('POST /v1/licenses/batch', () => {
    it('creates 1000 licenses in one request', async () => {
      const policy = await createPolicy(t, productId);
      const before = await counts();
      const created = await post(t, '/v1/licenses/batch', { policyId: policy.id, count: 1000 });
      expect(created.data).toHaveLength(1000);
      expect(new Set(created.data.map((l: Json) => l.key)).size).toBe(1000);
      const after = await counts();
      expect(after.licenses - before.licenses).toBe(1000);
      expect(after.events - before.events).toBe(1000);
      const listed = await get(t, `/v1/licenses?policyId=${policy.id}&limit=1000`);
      expect(listed.data).toHaveLength(1000);
    });

    it('creates licenses from individual bodies', async () => {
      const created = await post(t, '/v1/licenses/batch', {
        policyId,
        licenses: [{ key: 'BATCH-KEY-0001', tags: ['x'] }, { email: 'b@example.com' }],
      });
      expect(created.data).toMatchObject([
        { key: 'BATCH-KEY-0001', tags: ['x'] },
        { email: 'b@example.com', key: expect.stringMatching(KEY_FORMAT) },
      ]);
    });

    it('writes nothing when a license in the middle of the batch fails', async () => {
      const customer = await post(t, '/v1/customers', { name: 'C' });
      const licenses = Array.from({ length: 1000 }, (_, i) => ({
        customerId: i === 500 ? 999_999 : customer.id,
        notes: `#${i}`,
      }));
      const before = await counts();
      const error = await expectError(
        t.call({ method: 'POST', url: '/v1/licenses/batch', payload: { policyId, licenses } }),
        404,
        'NOT_FOUND',
      );
      expect(error.details).toEqual({ field: 'customerId' });
      expect(await counts()).toEqual(before);
      expect((await get(t, `/v1/licenses?customerId=${customer.id}`)).data).toEqual([]);
    });

    it('refuses both count and licenses, neither, and more than 1000', async () => {
      const refuse = (payload: object) =>
        expectError(t.call({ method: 'POST', url: '/v1/licenses/batch', payload }), 400, 'INVALID_INPUT');
      await refuse({ policyId, count: 1, licenses: [{}] });
      await refuse({ policyId });
      await refuse({ policyId, count: 1001 });
      await refuse({ policyId, licenses: [] });
    });
  });

  describe('GET /v1/licenses', () => {
    let policy: Json;
    let other: Json;
    let customer: Json;
    let plain: Json;
    let suspended: Json;
    let revoked: Json;
    let expired: Json;
    let extraProduct: Json;
    beforeAll(async () => {
      policy = await createPolicy(t, productId);
      other = await createPolicy(t, productId);
      customer = await post(t, '/v1/customers', { name: 'Filter customer' });
      extraProduct = await createProduct(t);
      plain = await createLicense(t, policy.id, {
        key: 'FILTER-PLAIN-0001',
        email: 'filter@example.com',
        tags: ['filter-tag'],
        customerId: customer.id,
        productIds: [extraProduct.id],
      });
      suspended = await createLicense(t, policy.id, { key: 'FILTER-SUSP-0001', isSuspended: true });
      revoked = await createLicense(t, policy.id, { key: 'FILTER-REVK-0001' });
      await post(t, `/v1/licenses/${revoked.id}/actions/revoke`, {}, 200);
      expired = await createLicense(t, policy.id, {
        key: 'OTHER-EXPD-0001',
        expiresAt: new Date(t.clock.now().getTime() - 1000).toISOString(),
      });
      await createLicense(t, other.id, { key: 'FILTER-OTHER-0001' });
    });

    it('filters by policy, product, customer, email, tag and key', async () => {
      expect(ids(await get(t, `/v1/licenses?policyId=${policy.id}`))).toEqual([
        expired.id,
        revoked.id,
        suspended.id,
        plain.id,
      ]);
      expect(ids(await get(t, `/v1/licenses?productId=${extraProduct.id}`))).toEqual([plain.id]);
      expect(ids(await get(t, `/v1/licenses?customerId=${customer.id}`))).toEqual([plain.id]);
      expect(ids(await get(t, '/v1/licenses?email=FILTER@example.com'))).toEqual([plain.id]);
      expect(ids(await get(t, '/v1/licenses?tag=filter-tag'))).toEqual([plain.id]);
      expect(ids(await get(t, `/v1/licenses?key=FILTER-&policyId=${policy.id}`))).toEqual([
        revoked.id,
        suspended.id,
        plain.id,
      ]);
      expect(ids(await get(t, `/v1/licenses?key=filter-&policyId=${policy.id}`))).toEqual([
        revoked.id,
        suspended.id,
        plain.id,
      ]);
    });

    it('finds a key by any fragment, ignoring case and dashes', async () => {
      const { policy: own } = await productWithPolicy(t);
      const wanted = await createLicense(t, own.id, { key: 'JNQN5-DZ45R-ABCDE-FGHJK' });
      const middle = await createLicense(t, own.id, { key: 'ZZZZZ-JNQN5-QQQQQ-QQQQQ' });
      const find = async (key: string) =>
        ids(await get(t, `/v1/licenses?policyId=${own.id}&key=${encodeURIComponent(key)}`));
      expect(await find('jnqn5')).toEqual([middle.id, wanted.id]);
      expect(await find('JNQN5DZ45R')).toEqual([wanted.id]);
      expect(await find('DZ45R')).toEqual([wanted.id]);
      expect(await find('dz45r-abc')).toEqual([wanted.id]);
      expect(await find('jnqn5-dz45r-abcde-fghjk')).toEqual([wanted.id]);
      expect(await find('qqqqqq')).toEqual([middle.id]);
      expect(await find('NOPE7')).toEqual([]);
      // One or two characters match the beginning of keys.
      expect(await find('j')).toEqual([wanted.id]);
      expect(await find('zz')).toEqual([middle.id]);
      expect(await find('-')).toEqual([middle.id, wanted.id]);
    });

    it('filters by status', async () => {
      const byStatus = async (status: string) =>
        ids(await get(t, `/v1/licenses?policyId=${policy.id}&status=${status}`));
      expect(await byStatus('active')).toEqual([plain.id]);
      expect(await byStatus('suspended')).toEqual([suspended.id]);
      expect(await byStatus('revoked')).toEqual([revoked.id]);
      expect(await byStatus('expired')).toEqual([expired.id]);
      const shown = await get(t, `/v1/licenses/${expired.id}`);
      expect(shown.status).toBe('expired');
    });

    it('lists a license under its one shown status when several states overlap', async () => {
      const own = await createPolicy(t, productId);
      const past = new Date(t.clock.now().getTime() - 1000).toISOString();
      const suspendedAndExpired = await createLicense(t, own.id, { isSuspended: true, expiresAt: past });
      const revokedAndSuspended = await createLicense(t, own.id, { isSuspended: true, expiresAt: past });
      await post(t, `/v1/licenses/${revokedAndSuspended.id}/actions/revoke`, {}, 200);
      for (const [status, expected] of [
        ['revoked', [revokedAndSuspended.id]],
        ['suspended', [suspendedAndExpired.id]],
        ['expired', []],
        ['active', []],
      ] as const) {
        const listed = await get(t, `/v1/licenses?policyId=${own.id}&status=${status}`);
        expect(ids(listed), status).toEqual(expected);
        for (const license of listed.data) expect(license.status).toBe(status);
      }
    });

    it('pages newest first with a cursor', async () => {
      const first = await get(t, `/v1/licenses?policyId=${policy.id}&limit=3`);
      expect(ids(first)).toEqual([expired.id, revoked.id, suspended.id]);
      expect(first.nextCursor).toBe(String(suspended.id));
      const rest = await get(t, `/v1/licenses?policyId=${policy.id}&limit=3&after=${first.nextCursor}`);
      expect(rest).toEqual({ data: [expect.objectContaining({ id: plain.id })], nextCursor: null });
    });

    it('refuses an unknown status and a bad cursor', async () => {
      await expectError(t.call({ method: 'GET', url: '/v1/licenses?status=gone' }), 400, 'INVALID_INPUT');
      await expectError(t.call({ method: 'GET', url: '/v1/licenses?after=-1' }), 400, 'INVALID_INPUT');
    });
  });

  describe('GET /v1/licenses/:idOrKey', () => {
    it('finds a license by id, by key and by URL-encoded key', async () => {
      const license = await createLicense(t, policyId);
      expect(await get(t, `/v1/licenses/${license.id}`)).toEqual(license);
      expect(await get(t, `/v1/licenses/${license.key}`)).toEqual(license);
      const odd = await createLicense(t, policyId, { key: 'ACME/2024+PRO#1?x=y&z%41' });
      expect(await get(t, `/v1/licenses/${encodeURIComponent(odd.key)}`)).toEqual(odd);
    });

    it('falls back to the key when an all-digit text is no id', async () => {
      const digits = await createLicense(t, policyId, { key: '987654321' });
      expect((await get(t, '/v1/licenses/987654321')).id).toBe(digits.id);
    });

    it('answers an unknown id or key with 404 LICENSE_NOT_FOUND', async () => {
      await expectError(t.call({ method: 'GET', url: '/v1/licenses/999999' }), 404, 'LICENSE_NOT_FOUND');
      await expectError(t.call({ method: 'GET', url: '/v1/licenses/NO-SUCH-KEY' }), 404, 'LICENSE_NOT_FOUND');
    });
  });

  describe('PATCH /v1/licenses/:id', () => {
    it('changes fields, overrides and features, and moves the license to another policy', async () => {
      const target = await createPolicy(t, (await createProduct(t)).id, {
        featureFields: [{ name: 'seats', type: 'integer', defaultValue: 1 }],
      });
      const license = await createLicense(t, policyId, { tags: ['a'] });
      const changed = await patch(t, `/v1/licenses/${license.id}`, {
        policyId: target.id,
        notes: 'moved',
        tags: ['b', 'c'],
        overrides: { maxMachines: 9 },
        features: { seats: '3' },
        expiresAt: '2030-01-01T00:00:00Z',
      });
      expect(changed).toMatchObject({
        policyId: target.id,
        productIds: [target.productId],
        notes: 'moved',
        tags: ['b', 'c'],
        overrides: { maxMachines: 9, allowVm: null },
        features: { seats: 3 },
        expiresAt: '2030-01-01T00:00:00.000Z',
      });
      expect((await get(t, '/v1/licenses?tag=b')).data.map((l: Json) => l.id)).toContain(license.id);
    });

    it('refuses an unknown license, customer or feature', async () => {
      const license = await createLicense(t, policyId);
      const refuse = (id: number, payload: object, status: number, code: string) =>
        expectError(t.call({ method: 'PATCH', url: `/v1/licenses/${id}`, payload }), status, code);
      await refuse(999_999, { notes: 'x' }, 404, 'LICENSE_NOT_FOUND');
      await refuse(license.id, { customerId: 999_999 }, 404, 'NOT_FOUND');
      await refuse(license.id, { features: { nope: true } }, 422, 'FEATURE_INVALID');
      await refuse(license.id, { policyId: 999_999 }, 404, 'NOT_FOUND');
      expect(await get(t, `/v1/licenses/${license.id}`)).toEqual(license);
    });
  });

  describe('license actions', () => {
    const action = (id: number, name: string, payload: object = {}, status = 200) =>
      post(t, `/v1/licenses/${id}/actions/${name}`, payload, status);

    it('suspends and reinstates', async () => {
      const license = await createLicense(t, policyId);
      expect(await action(license.id, 'suspend')).toMatchObject({ status: 'suspended', isSuspended: true });
      expect(await action(license.id, 'reinstate')).toMatchObject({ status: 'active', isSuspended: false });
    });

    it('revokes once; a second revocation conflicts', async () => {
      const license = await createLicense(t, policyId);
      const revoked = await action(license.id, 'revoke');
      expect(revoked).toMatchObject({ status: 'revoked', revokedAt: t.clock.now().toISOString() });
      await expectError(
        t.call({ method: 'POST', url: `/v1/licenses/${license.id}/actions/revoke` }),
        409,
        'CONFLICT',
      );
    });

    it('extends by seconds from now or from the current expiry, or to a date', async () => {
      const license = await createLicense(t, policyId);
      const now = t.clock.now().getTime();
      expect((await action(license.id, 'extend', { seconds: 60 })).expiresAt).toBe(
        new Date(now + 60_000).toISOString(),
      );
      expect((await action(license.id, 'extend', { seconds: 60 })).expiresAt).toBe(
        new Date(now + 120_000).toISOString(),
      );
      expect((await action(license.id, 'extend', { expiresAt: '2031-05-01T00:00:00Z' })).expiresAt).toBe(
        '2031-05-01T00:00:00.000Z',
      );
    });

    it('refuses an extension without seconds or date', async () => {
      const license = await createLicense(t, policyId);
      await expectError(
        t.call({ method: 'POST', url: `/v1/licenses/${license.id}/actions/extend`, payload: {} }),
        400,
        'INVALID_INPUT',
      );
    });

    it('refuses to extend past the year 9999', async () => {
      const policy = await createPolicy(t, productId);
      const license = await createLicense(t, policy.id, { expiresAt: '9999-12-31T00:00:00Z' });
      const max = 100 * 365 * 86_400;
      await expectError(
        t.call({
          method: 'POST',
          url: `/v1/licenses/${license.id}/actions/extend`,
          payload: { seconds: max },
        }),
        400,
        'INVALID_INPUT',
      );
    });

    it('resets: frees every seat and counts the reset', async () => {
      const license = await createLicense(t, policyId);
      await activate(t, license.id, 'reset-a');
      await activate(t, license.id, 'reset-b');
      const reset = await action(license.id, 'reset');
      expect(reset).toMatchObject({ activationCount: 0, resetCount: 1 });
      expect((await get(t, `/v1/machines?licenseId=${license.id}`)).data).toEqual([]);
    });

    it('answers each action on an unknown license with 404 LICENSE_NOT_FOUND', async () => {
      for (const name of ['suspend', 'reinstate', 'revoke', 'reset']) {
        await expectError(
          t.call({ method: 'POST', url: `/v1/licenses/999999/actions/${name}` }),
          404,
          'LICENSE_NOT_FOUND',
        );
      }
      await expectError(
        t.call({ method: 'POST', url: '/v1/licenses/999999/actions/extend', payload: { seconds: 60 } }),
        404,
        'LICENSE_NOT_FOUND',
      );
    });
  });

  describe('DELETE /v1/licenses/:id', () => {
    it('deletes the license with its machines and data objects', async () => {
      const license = await createLicense(t, policyId);
      const machine = await activate(t, license.id, 'doomed');
      const object = await post(t, '/v1/data-objects', {
        ownerType: 'license',
        ownerId: license.id,
        name: 'n',
      });
      await expectStatus(t.call({ method: 'DELETE', url: `/v1/licenses/${license.id}` }), 204);
      await expectError(
        t.call({ method: 'GET', url: `/v1/licenses/${license.id}` }),
        404,
        'LICENSE_NOT_FOUND',
      );
      await expectError(
        t.call({ method: 'GET', url: `/v1/machines/${machine.id}` }),
        404,
        'MACHINE_NOT_FOUND',
      );
      await expectError(t.call({ method: 'GET', url: `/v1/data-objects/${object.id}` }), 404, 'NOT_FOUND');
    });

    it('answers an unknown license with 404', async () => {
      await expectError(t.call({ method: 'DELETE', url: '/v1/licenses/999999' }), 404, 'LICENSE_NOT_FOUND');
    });
  });
});

describeRouteSecurity('licenses');
