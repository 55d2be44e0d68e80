import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorPrincipal } from '../../../core/access/principal.js';
import {
  createLicense,
  createPolicy,
  createProduct,
  get,
  post,
  productWithPolicy,
} from '../../../test-support/native-calls.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';
import { testDialects } from '../../../test-support/test-store.js';

for (const dialect of await testDialects()) {
  describe(`GET /v1/licenses?withTotal (${dialect})`, () => {
    let t: TestApp;
    let productId: number;
    let policyId: number;
    let otherPolicyId: number;
    let addOnId: number;
    let customerId: number;
    beforeAll(async () => {
      t = await createTestApp(dialect);
      const { product, policy } = await productWithPolicy(t);
      productId = product.id;
      policyId = policy.id;
      otherPolicyId = (await createPolicy(t, product.id, { name: 'Other' })).id;
      addOnId = (await createProduct(t, { name: 'Add-on' })).id;
      customerId = (await post(t, '/v1/customers', { name: 'Ada' })).id;
      await post(t, '/v1/licenses/batch', { policyId, count: 7 });
      await post(t, '/v1/licenses/batch', { policyId: otherPolicyId, count: 3 });
      const suspended = await createLicense(t, policyId, { customerId, productIds: [addOnId] });
      await post(t, `/v1/licenses/${suspended.id}/actions/suspend`, {}, 200);
      await createLicense(t, otherPolicyId, { tags: ['vip'], email: 'Buyer@Example.com' });
    });
    afterAll(() => t.dispose());

    const total = async (query: string) => {
      const answer = await get(t, `/v1/licenses?limit=2&withTotal=true${query}`);
      return [answer.total, answer.isTotalExact];
    };

    it('counts every license the filters match, not only the page', async () => {
      expect(await total('')).toEqual([12, true]);
      expect(await total(`&policyId=${policyId}`)).toEqual([8, true]);
      expect(await total(`&policyId=${otherPolicyId}`)).toEqual([4, true]);
      expect(await total(`&productId=${productId}`)).toEqual([12, true]);
      expect(await total(`&productId=${addOnId}`)).toEqual([1, true]);
      expect(await total('&status=suspended')).toEqual([1, true]);
      expect(await total('&status=active')).toEqual([11, true]);
      expect(await total(`&customerId=${customerId}`)).toEqual([1, true]);
      expect(await total('&tag=vip')).toEqual([1, true]);
      expect(await total('&email=buyer@example.com')).toEqual([1, true]);
      expect(await total(`&policyId=${policyId}&status=revoked`)).toEqual([0, true]);
      // The cursor pages; the total stays the total.
      const first = await get(t, '/v1/licenses?limit=5&withTotal=true');
      const second = await get(t, `/v1/licenses?limit=5&withTotal=true&after=${first.nextCursor}`);
      expect(second.total).toBe(12);
    });

    it('answers no total unless asked', async () => {
      const answer = await get(t, '/v1/licenses?limit=2');
      expect(answer).not.toHaveProperty('total');
      expect(answer).not.toHaveProperty('isTotalExact');
    });

    it('stops counting past the limit and says so', async () => {
      const count = (max: number, filter = {}) => t.keyward.licenses.count(operatorPrincipal, filter, max);
      expect(await count(12)).toEqual({ count: 12, isExact: true });
      expect(await count(11)).toEqual({ count: 11, isExact: false });
      expect(await count(3)).toEqual({ count: 3, isExact: false });
      expect(await count(3, { policyId: otherPolicyId })).toEqual({ count: 3, isExact: false });
      expect(await count(4, { policyId: otherPolicyId })).toEqual({ count: 4, isExact: true });
    });

    it('counts for a product-locked token only within its product, never what its lock hides', async () => {
      const token = async (productIds: number[]) =>
        (await post(t, '/v1/tokens', { name: 'shop', scopes: ['licenses:read'], productIds })).secret;
      const locked = await token([addOnId]);
      const call = async (query: string) =>
        (await t.call({ method: 'GET', url: `/v1/licenses?withTotal=true${query}`, token: locked })).json();
      // Unfiltered it would count licenses of products the token may not see: no total.
      const all = await call('');
      expect(all.data).toHaveLength(1);
      expect(all).not.toHaveProperty('total');
      expect(await call(`&productId=${addOnId}`)).toMatchObject({ total: 1, isTotalExact: true });
      expect(await call(`&productId=${productId}`)).not.toHaveProperty('total');
    });
  });
}
