import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLicense,
  createPolicy,
  createProduct,
  expectError,
  expectStatus,
  get,
  type Json,
  patch,
} from '../../../test-support/native-calls.js';
import { describeRouteSecurity } from '../../../test-support/route-security.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';

describe('policies routes', () => {
  let t: TestApp;
  let productId: number;
  beforeAll(async () => {
    t = await createTestApp();
    productId = (await createProduct(t)).id;
  });
  afterAll(() => t.dispose());

  describe('POST /v1/policies', () => {
    it('creates a policy with the defaults filled in', async () => {
      const policy = await createPolicy(t, productId, { name: 'Standard' });
      expect(policy).toEqual({
        id: expect.any(Number),
        productId,
        name: 'Standard',
        maxMachines: 1,
        maxDeactivations: -1,
        isFloating: false,
        leaseSeconds: 900,
        maxOverdraft: 0,
        allowVm: true,
        durationSeconds: null,
        expirationBasis: 'CREATION',
        activationValiditySeconds: null,
        isTrial: false,
        allowLicenseAuth: true,
        keyFormat: 'XXXXX-XXXXX-XXXXX-XXXXX',
        featureFields: [],
        createdAt: t.clock.now().toISOString(),
      });
    });

    it('keeps typed feature fields and coerces their defaults', async () => {
      const policy = await createPolicy(t, productId, {
        isFloating: true,
        leaseSeconds: 60,
        maxOverdraft: 2,
        durationSeconds: 86_400,
        expirationBasis: 'FIRST_ACTIVATION',
        featureFields: [
          { name: 'seats', type: 'integer', defaultValue: '5' },
          { name: 'pro', type: 'boolean', isRequired: true, defaultValue: false },
          { name: 'until', type: 'date' },
        ],
      });
      expect(policy.featureFields).toEqual([
        { name: 'seats', type: 'integer', isRequired: false, defaultValue: 5 },
        { name: 'pro', type: 'boolean', isRequired: true, defaultValue: false },
        { name: 'until', type: 'date', isRequired: false, defaultValue: null },
      ]);
      expect(policy).toMatchObject({
        isFloating: true,
        leaseSeconds: 60,
        expirationBasis: 'FIRST_ACTIVATION',
      });
    });

    it('refuses a key format with too few random characters, a bad default and an unknown product', async () => {
      const refuse = (payload: object, status: number, code: string) =>
        expectError(t.call({ method: 'POST', url: '/v1/policies', payload }), status, code);
      const error = await refuse(
        { productId, name: 'p', keyFormat: 'XXXX-XXXX-XXXX-XXX' },
        400,
        'INVALID_INPUT',
      );
      expect(error.details).toEqual({ field: 'keyFormat' });
      await refuse(
        { productId, name: 'p', featureFields: [{ name: 'n', type: 'integer', defaultValue: 'many' }] },
        422,
        'FEATURE_INVALID',
      );
      await refuse(
        {
          productId,
          name: 'p',
          featureFields: [
            { name: 'twice', type: 'string' },
            { name: 'twice', type: 'string' },
          ],
        },
        400,
        'INVALID_INPUT',
      );
      await refuse({ productId: 999_999, name: 'p' }, 404, 'NOT_FOUND');
      await refuse({ productId, name: 'p', maxMachines: -1 }, 400, 'INVALID_INPUT');
    });
  });

  describe('GET /v1/policies', () => {
    it('filters by product and pages with a cursor', async () => {
      const product = await createProduct(t);
      const ids: number[] = [];
      for (let i = 0; i < 3; i++) ids.push((await createPolicy(t, product.id, { name: `p${i}` })).id);
      const first = await get(t, `/v1/policies?productId=${product.id}&limit=2`);
      expect(first.data.map((p: Json) => p.id)).toEqual(ids.slice(0, 2));
      const rest = await get(t, `/v1/policies?productId=${product.id}&limit=2&after=${first.nextCursor}`);
      expect(rest).toEqual({ data: [expect.objectContaining({ id: ids[2] })], nextCursor: null });
      const all = await get(t, '/v1/policies?limit=1000');
      expect(all.data.map((p: Json) => p.id)).toEqual(expect.arrayContaining(ids));
    });

    it('refuses an unknown query parameter', async () => {
      await expectError(t.call({ method: 'GET', url: '/v1/policies?product=1' }), 400, 'INVALID_INPUT');
    });
  });

  describe('GET /v1/policies/:id', () => {
    it('shows one policy and answers an unknown one with 404', async () => {
      const policy = await createPolicy(t, productId);
      expect(await get(t, `/v1/policies/${policy.id}`)).toEqual(policy);
      await expectError(t.call({ method: 'GET', url: '/v1/policies/999999' }), 404, 'NOT_FOUND');
    });
  });

  describe('PATCH /v1/policies/:id', () => {
    it('changes some settings and keeps the others', async () => {
      const policy = await createPolicy(t, productId, { maxMachines: 3 });
      const changed = await patch(t, `/v1/policies/${policy.id}`, { name: 'Renamed', allowVm: false });
      expect(changed).toEqual({ ...policy, name: 'Renamed', allowVm: false });
    });

    it('refuses an invalid change and an unknown policy', async () => {
      const policy = await createPolicy(t, productId);
      await expectError(
        t.call({ method: 'PATCH', url: `/v1/policies/${policy.id}`, payload: { keyFormat: 'XXXXXXXX' } }),
        400,
        'INVALID_INPUT',
      );
      await expectError(
        t.call({ method: 'PATCH', url: `/v1/policies/${policy.id}`, payload: { productId } }),
        400,
        'INVALID_INPUT',
      );
      await expectError(
        t.call({ method: 'PATCH', url: '/v1/policies/999999', payload: { name: 'x' } }),
        404,
        'NOT_FOUND',
      );
    });
  });

  describe('DELETE /v1/policies/:id', () => {
    it('deletes a policy without licenses', async () => {
      const policy = await createPolicy(t, productId);
      await expectStatus(t.call({ method: 'DELETE', url: `/v1/policies/${policy.id}` }), 204);
      await expectError(t.call({ method: 'GET', url: `/v1/policies/${policy.id}` }), 404, 'NOT_FOUND');
    });

    it('refuses to delete a policy that still has licenses', async () => {
      const policy = await createPolicy(t, productId);
      await createLicense(t, policy.id);
      await createLicense(t, policy.id);
      const error = await expectError(
        t.call({ method: 'DELETE', url: `/v1/policies/${policy.id}` }),
        409,
        'CONFLICT',
      );
      // Says why, so the dashboard can show it.
      expect(error.message).toBe(
        `policy ${policy.id} still has 2 licenses; delete them or move them to another policy first`,
      );
      await get(t, `/v1/policies/${policy.id}`);
    });
  });
});

describeRouteSecurity('policies');
