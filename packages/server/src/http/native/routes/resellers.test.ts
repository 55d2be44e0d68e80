import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorPrincipal } from '../../../core/access/principal.js';
import { expectError, get, patch, post, productWithPolicy } from '../../../test-support/native-calls.js';
import { describeRouteSecurity } from '../../../test-support/route-security.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';

describe('resellers routes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.dispose());

  it('creates, reads, lists, changes and deletes a reseller', async () => {
    const created = await post(t, '/v1/resellers', { name: 'Shop', email: 'Sales@Shop.example' });
    expect(created).toEqual({
      id: expect.any(Number),
      name: 'Shop',
      url: null,
      email: 'sales@shop.example',
      phone: null,
      description: null,
      createdAt: expect.any(String),
    });
    expect(await get(t, `/v1/resellers/${created.id}`)).toEqual(created);
    expect((await get(t, '/v1/resellers')).data).toContainEqual(created);
    expect(await patch(t, `/v1/resellers/${created.id}`, { url: 'https://shop.example' })).toMatchObject({
      url: 'https://shop.example',
    });
    await t.call({ method: 'DELETE', url: `/v1/resellers/${created.id}` });
    await expectError(t.call({ method: 'GET', url: `/v1/resellers/${created.id}` }), 404, 'NOT_FOUND');
  });

  it('leaves the licenses of a deleted reseller without one', async () => {
    const { policy } = await productWithPolicy(t);
    const reseller = await post(t, '/v1/resellers', { name: 'Gone' });
    const license = await t.keyward.licenses.create(
      { tokenId: null, ip: null, via: 'test', principal: operatorPrincipal },
      policy.id,
      {
        resellerId: reseller.id,
      },
    );
    expect(license.resellerId).toBe(reseller.id);
    await t.call({ method: 'DELETE', url: `/v1/resellers/${reseller.id}` });
    expect((await t.keyward.licenses.get(license.id)).resellerId).toBeUndefined();
  });
});

describeRouteSecurity('resellers');
