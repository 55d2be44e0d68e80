import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLicense,
  expectError,
  expectStatus,
  get,
  type Json,
  patch,
  post,
  productWithPolicy,
} from '../../../test-support/native-calls.js';
import { describeRouteSecurity } from '../../../test-support/route-security.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';

describe('customers routes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.dispose());

  const createCustomer = (body: object) => post(t, '/v1/customers', { name: 'Customer', ...body });

  describe('POST /v1/customers', () => {
    it('creates a customer with a normalized email', async () => {
      const customer = await createCustomer({ name: 'Ada', email: 'Ada@Example.COM', company: 'Engines' });
      expect(customer).toEqual({
        id: expect.any(Number),
        name: 'Ada',
        email: 'ada@example.com',
        company: 'Engines',
        createdAt: t.clock.now().toISOString(),
      });
    });

    it('refuses an invalid email', async () => {
      const error = await expectError(
        t.call({ method: 'POST', url: '/v1/customers', payload: { name: 'x', email: 'not-an-email' } }),
        400,
        'INVALID_INPUT',
      );
      expect(error.message).toContain('email');
    });
  });

  describe('GET /v1/customers', () => {
    it('filters by email, whatever its case, and pages with a cursor', async () => {
      const ids: number[] = [];
      for (let i = 0; i < 3; i++) ids.push((await createCustomer({ email: 'shared@example.com' })).id);
      const byEmail = await get(t, '/v1/customers?email=SHARED@example.com&limit=2');
      expect(byEmail.data.map((c: Json) => c.id)).toEqual(ids.slice(0, 2));
      const rest = await get(t, `/v1/customers?email=shared@example.com&limit=2&after=${byEmail.nextCursor}`);
      expect(rest.data.map((c: Json) => c.id)).toEqual(ids.slice(2));
      expect(rest.nextCursor).toBeNull();
    });

    it('refuses a limit above 1000', async () => {
      await expectError(t.call({ method: 'GET', url: '/v1/customers?limit=1001' }), 400, 'INVALID_INPUT');
    });
  });

  describe('GET /v1/customers/:id', () => {
    it('shows one customer and answers an unknown one with 404', async () => {
      const customer = await createCustomer({});
      expect(await get(t, `/v1/customers/${customer.id}`)).toEqual(customer);
      await expectError(t.call({ method: 'GET', url: '/v1/customers/999999' }), 404, 'NOT_FOUND');
    });
  });

  describe('PATCH /v1/customers/:id', () => {
    it('changes and clears fields', async () => {
      const customer = await createCustomer({ email: 'old@example.com' });
      const changed = await patch(t, `/v1/customers/${customer.id}`, { email: null, company: 'New Co' });
      expect(changed).toEqual({ ...customer, email: null, company: 'New Co' });
    });

    it('answers an unknown customer with 404', async () => {
      await expectError(
        t.call({ method: 'PATCH', url: '/v1/customers/999999', payload: { name: 'x' } }),
        404,
        'NOT_FOUND',
      );
    });
  });

  describe('DELETE /v1/customers/:id', () => {
    it('deletes the customer; its licenses stay without one', async () => {
      const customer = await createCustomer({});
      const { policy } = await productWithPolicy(t);
      const license = await createLicense(t, policy.id, { customerId: customer.id });
      await expectStatus(t.call({ method: 'DELETE', url: `/v1/customers/${customer.id}` }), 204);
      expect((await get(t, `/v1/licenses/${license.id}`)).customerId).toBeNull();
      await expectError(t.call({ method: 'DELETE', url: `/v1/customers/${customer.id}` }), 404, 'NOT_FOUND');
    });
  });
});

describeRouteSecurity('customers');
