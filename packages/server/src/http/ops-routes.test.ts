import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/test-app.js';

describe('operations routes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.dispose());

  it('answers liveness and readiness without credentials', async () => {
    expect((await t.call({ method: 'GET', url: '/healthz', token: null })).json()).toEqual({ status: 'ok' });
    expect((await t.call({ method: 'GET', url: '/readyz', token: null })).statusCode).toBe(200);
  });

  it('reports not ready once the database is gone', async () => {
    const other = await createTestApp();
    await other.store.close();
    const response = await other.call({ method: 'GET', url: '/readyz', token: null });
    expect(response.statusCode).toBe(503);
    await other.app.close();
  });

  it('serves the OpenAPI document and security headers', async () => {
    const response = await t.call({ method: 'GET', url: '/openapi.json', token: null });
    expect(response.statusCode).toBe(200);
    expect(response.json().paths['/v1/products']).toBeDefined();
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['x-request-id']).toBeTruthy();
  });
});
