import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLicense,
  createPolicy,
  createProduct,
  expectError,
  expectStatus,
  get,
  patch,
  productWithPolicy,
} from '../../../test-support/native-calls.js';
import { describeRouteSecurity } from '../../../test-support/route-security.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';
import { testDialects } from '../../../test-support/test-store.js';

describe('products routes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.dispose());

  describe('POST /v1/products', () => {
    it('creates a product', async () => {
      const product = await createProduct(t, { name: 'Editor', code: 'EDITOR' });
      expect(product).toEqual({
        id: expect.any(Number),
        name: 'Editor',
        code: 'EDITOR',
        createdAt: t.clock.now().toISOString(),
      });
      expect(await get(t, `/v1/products/${product.id}`)).toEqual(product);
    });

    it('refuses a product without a name', async () => {
      const error = await expectError(
        t.call({ method: 'POST', url: '/v1/products', payload: { code: 'NONAME' } }),
        400,
        'INVALID_INPUT',
      );
      expect(error.message).toContain('name');
    });

    it('answers a code another product holds with 409 CONFLICT', async () => {
      await createProduct(t, { code: 'TAKEN' });
      await expectError(
        t.call({ method: 'POST', url: '/v1/products', payload: { name: 'Again', code: 'TAKEN' } }),
        409,
        'CONFLICT',
      );
      const other = await createProduct(t, { code: 'FREE' });
      await expectError(
        t.call({ method: 'PATCH', url: `/v1/products/${other.id}`, payload: { code: 'TAKEN' } }),
        409,
        'CONFLICT',
      );
    });
  });

  describe('GET /v1/products', () => {
    it('lists products page by page with a cursor', async () => {
      const app = await createTestApp();
      try {
        const ids = [];
        for (let i = 0; i < 5; i++) ids.push((await createProduct(app, { name: `P${i}` })).id);
        const first = await get(app, '/v1/products?limit=2');
        expect(first.data.map((p: { id: number }) => p.id)).toEqual(ids.slice(0, 2));
        expect(first.nextCursor).toBe(String(ids[1]));
        const second = await get(app, `/v1/products?limit=2&after=${first.nextCursor}`);
        expect(second.data.map((p: { id: number }) => p.id)).toEqual(ids.slice(2, 4));
        const last = await get(app, `/v1/products?limit=2&after=${second.nextCursor}`);
        expect(last.data.map((p: { id: number }) => p.id)).toEqual(ids.slice(4));
        expect(last.nextCursor).toBeNull();
      } finally {
        await app.dispose();
      }
    });

    it('refuses a cursor that did not come from nextCursor', async () => {
      await expectError(t.call({ method: 'GET', url: '/v1/products?after=abc' }), 400, 'INVALID_INPUT');
      await expectError(t.call({ method: 'GET', url: '/v1/products?limit=0' }), 400, 'INVALID_INPUT');
    });
  });

  describe('GET /v1/products/:id', () => {
    it('answers an unknown product with 404 NOT_FOUND', async () => {
      await expectError(t.call({ method: 'GET', url: '/v1/products/999999' }), 404, 'NOT_FOUND');
    });
  });

  describe('PATCH /v1/products/:id', () => {
    it('changes the name and clears the code', async () => {
      const product = await createProduct(t, { name: 'Old', code: 'OLD' });
      const changed = await patch(t, `/v1/products/${product.id}`, { name: 'New', code: null });
      expect(changed).toMatchObject({ id: product.id, name: 'New', code: null });
      expect(await patch(t, `/v1/products/${product.id}`, {})).toEqual(changed);
    });

    it('answers an unknown product with 404 and an empty name with 400', async () => {
      await expectError(
        t.call({ method: 'PATCH', url: '/v1/products/999999', payload: { name: 'x' } }),
        404,
        'NOT_FOUND',
      );
      const product = await createProduct(t);
      await expectError(
        t.call({ method: 'PATCH', url: `/v1/products/${product.id}`, payload: { name: '' } }),
        400,
        'INVALID_INPUT',
      );
    });
  });

  describe('DELETE /v1/products/:id', () => {
    it('deletes a product without policies', async () => {
      const product = await createProduct(t);
      await expectStatus(t.call({ method: 'DELETE', url: `/v1/products/${product.id}` }), 204);
      await expectError(t.call({ method: 'GET', url: `/v1/products/${product.id}` }), 404, 'NOT_FOUND');
    });

    it('refuses to delete a product that still has policies', async () => {
      const product = await createProduct(t);
      await createPolicy(t, product.id);
      await expectError(t.call({ method: 'DELETE', url: `/v1/products/${product.id}` }), 409, 'CONFLICT');
      await get(t, `/v1/products/${product.id}`);
    });
  });
});

for (const dialect of await testDialects()) {
  describe(`deleting a product that licenses still unlock (${dialect})`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect);
    });
    afterAll(() => t.dispose());

    it('refuses with 409 CONFLICT naming the licenses, and deletes once none is left', async () => {
      const { policy } = await productWithPolicy(t);
      // The add-on has no policy of its own: licenses of another product unlock it too.
      const addOn = await createProduct(t, { name: 'Add-on' });
      const license = await createLicense(t, policy.id, { productIds: [addOn.id] });
      const error = await expectError(
        t.call({ method: 'DELETE', url: `/v1/products/${addOn.id}` }),
        409,
        'CONFLICT',
      );
      expect(error.message).toBe(
        `product ${addOn.id} is still unlocked by 1 license; delete the licenses or remove the product from them first`,
      );
      await get(t, `/v1/products/${addOn.id}`);
      expect((await get(t, `/v1/licenses/${license.id}`)).productIds).toContain(addOn.id);
      await patch(t, `/v1/licenses/${license.id}`, { productIds: [] });
      await expectStatus(t.call({ method: 'DELETE', url: `/v1/products/${addOn.id}` }), 204);
    });
  });
}

describeRouteSecurity('products');
