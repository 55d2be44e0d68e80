import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TEST_ADMIN_TOKEN, type TestApp } from '../../test-support/test-app.js';

describe('maintenance mode', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.dispose());

  it('refuses every API request in each surface’s own format, keeps health checks open, writes nothing', async () => {
    t.keyward.maintenance.set(true);
    try {
      const native = await t.call({
        method: 'POST',
        url: '/v1/products',
        payload: { name: 'during maintenance' },
      });
      expect(native.statusCode).toBe(503);
      expect(native.json().error.code).toBe('UNAVAILABLE');
      const limelm = await t.app.inject({
        method: 'POST',
        url: '/api/rest/',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `api_key=${TEST_ADMIN_TOKEN}&method=limelm.prod.create&prod_name=x&vers_name=1&format=json&nojsoncallback=1`,
      });
      expect(limelm.statusCode).toBe(200);
      expect(limelm.json()).toMatchObject({ stat: 'fail', code: 142 });
      expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      expect((await t.app.inject({ method: 'GET', url: '/openapi.json' })).statusCode).toBe(200);
    } finally {
      t.keyward.maintenance.set(false);
    }
    const products = (await t.call({ method: 'GET', url: '/v1/products' })).json().data;
    expect(products).toEqual([]);
    expect(
      (await t.call({ method: 'POST', url: '/v1/products', payload: { name: 'after' } })).statusCode,
    ).toBe(201);
  });
});
