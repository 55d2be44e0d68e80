import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  activate,
  createLicense,
  expectError,
  expectStatus,
  get,
  patch,
  post,
  productWithPolicy,
} from '../../../test-support/native-calls.js';
import { describeRouteSecurity } from '../../../test-support/route-security.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';

describe('data objects routes', () => {
  let t: TestApp;
  let productId: number;
  let licenseId: number;
  let machineId: number;
  beforeAll(async () => {
    t = await createTestApp();
    const { product, policy } = await productWithPolicy(t);
    productId = product.id;
    licenseId = (await createLicense(t, policy.id)).id;
    machineId = (await activate(t, licenseId, 'owner')).id;
  });
  afterAll(() => t.dispose());

  let counter = 0;
  const create = (body: object = {}) =>
    post(t, '/v1/data-objects', { ownerType: 'license', ownerId: licenseId, name: `n${counter++}`, ...body });
  const change = (id: number, direction: string, payload: object) =>
    t.call({ method: 'POST', url: `/v1/data-objects/${id}/actions/${direction}`, payload });

  describe('POST /v1/data-objects', () => {
    it('creates objects on a license, a machine and a product', async () => {
      expect(await create({ name: 'usage', intValue: 5, stringValue: 's' })).toEqual({
        id: expect.any(Number),
        ownerType: 'license',
        ownerId: licenseId,
        name: 'usage',
        intValue: 5,
        stringValue: 's',
      });
      expect(await create({ ownerType: 'machine', ownerId: machineId })).toMatchObject({
        intValue: 0,
        stringValue: '',
      });
      expect(await create({ ownerType: 'product', ownerId: productId })).toMatchObject({
        ownerType: 'product',
      });
    });

    it('refuses a name the owner already has, an unknown owner and an unknown owner type', async () => {
      await create({ name: 'unique' });
      const refuse = (payload: object, status: number, code: string) =>
        expectError(t.call({ method: 'POST', url: '/v1/data-objects', payload }), status, code);
      await refuse({ ownerType: 'license', ownerId: licenseId, name: 'unique' }, 409, 'CONFLICT');
      await refuse({ ownerType: 'machine', ownerId: 999_999, name: 'x' }, 404, 'NOT_FOUND');
      await refuse({ ownerType: 'customer', ownerId: 1, name: 'x' }, 400, 'INVALID_INPUT');
      await refuse(
        { ownerType: 'license', ownerId: licenseId, name: 'x', intValue: 2 ** 53 },
        400,
        'INVALID_INPUT',
      );
    });
  });

  describe('GET /v1/data-objects', () => {
    it('lists the objects of one owner', async () => {
      const { policy } = await productWithPolicy(t);
      const owner = await createLicense(t, policy.id);
      const a = await create({ ownerId: owner.id, name: 'a' });
      const b = await create({ ownerId: owner.id, name: 'b' });
      expect(await get(t, `/v1/data-objects?ownerType=license&ownerId=${owner.id}`)).toEqual({
        data: [a, b],
      });
    });

    it('demands an owner and refuses an unknown one', async () => {
      await expectError(t.call({ method: 'GET', url: '/v1/data-objects' }), 400, 'INVALID_INPUT');
      await expectError(
        t.call({ method: 'GET', url: '/v1/data-objects?ownerType=product&ownerId=999999' }),
        404,
        'NOT_FOUND',
      );
    });
  });

  describe('GET /v1/data-objects/:id', () => {
    it('shows one object and answers an unknown one with 404', async () => {
      const object = await create();
      expect(await get(t, `/v1/data-objects/${object.id}`)).toEqual(object);
      await expectError(t.call({ method: 'GET', url: '/v1/data-objects/999999' }), 404, 'NOT_FOUND');
    });
  });

  describe('PATCH /v1/data-objects/:id', () => {
    it('changes name and values', async () => {
      const object = await create();
      expect(
        await patch(t, `/v1/data-objects/${object.id}`, { name: 'renamed', intValue: -3, stringValue: 'v' }),
      ).toEqual({ ...object, name: 'renamed', intValue: -3, stringValue: 'v' });
      expect(await patch(t, `/v1/data-objects/${object.id}`, {})).toMatchObject({ name: 'renamed' });
    });

    it('refuses a name a sibling has, the owner as a field and an unknown object', async () => {
      const taken = await create();
      const object = await create();
      const refuse = (id: number, payload: object, status: number, code: string) =>
        expectError(t.call({ method: 'PATCH', url: `/v1/data-objects/${id}`, payload }), status, code);
      await refuse(object.id, { name: taken.name }, 409, 'CONFLICT');
      await refuse(object.id, { ownerId: 1 }, 400, 'INVALID_INPUT');
      await refuse(999_999, { name: 'x' }, 404, 'NOT_FOUND');
    });
  });

  describe('POST /v1/data-objects/:id/actions/increment and decrement', () => {
    it('adds and subtracts, by 1 unless told', async () => {
      const object = await create({ intValue: 10 });
      expect((await expectStatus(change(object.id, 'increment', {}), 200)).intValue).toBe(11);
      expect((await expectStatus(change(object.id, 'increment', { by: 5, bound: 16 }), 200)).intValue).toBe(
        16,
      );
      expect((await expectStatus(change(object.id, 'decrement', { by: 6, bound: 10 }), 200)).intValue).toBe(
        10,
      );
      expect((await expectStatus(change(object.id, 'decrement', {}), 200)).intValue).toBe(9);
    });

    it('refuses a change past the bound with 409 CONFLICT and leaves the value', async () => {
      const object = await create({ intValue: 3 });
      const error = await expectError(change(object.id, 'increment', { by: 2, bound: 4 }), 409, 'CONFLICT');
      expect(error.details).toEqual({ min: null, max: 4 });
      await expectError(change(object.id, 'decrement', { by: 4, bound: 0 }), 409, 'CONFLICT');
      expect((await get(t, `/v1/data-objects/${object.id}`)).intValue).toBe(3);
    });

    it('refuses a change that takes the value past the safe integer range', async () => {
      const object = await create({ intValue: Number.MAX_SAFE_INTEGER });
      await expectError(change(object.id, 'increment', { by: Number.MAX_SAFE_INTEGER }), 409, 'CONFLICT');
    });

    it('refuses a step of zero and an unknown object', async () => {
      const object = await create();
      await expectError(change(object.id, 'increment', { by: 0 }), 400, 'INVALID_INPUT');
      await expectError(change(999_999, 'decrement', {}), 404, 'NOT_FOUND');
    });
  });

  describe('DELETE /v1/data-objects/:id', () => {
    it('deletes an object once', async () => {
      const object = await create();
      await expectStatus(t.call({ method: 'DELETE', url: `/v1/data-objects/${object.id}` }), 204);
      await expectError(t.call({ method: 'DELETE', url: `/v1/data-objects/${object.id}` }), 404, 'NOT_FOUND');
    });
  });
});

describeRouteSecurity('data-objects');
