import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testActor } from '../../../test-support/cryptolens-calls.js';
import {
  createLicense,
  expectError,
  get,
  type Json,
  productWithPolicy,
} from '../../../test-support/native-calls.js';
import { describeRouteSecurity, issueToken } from '../../../test-support/route-security.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';

describe('analytics events routes', () => {
  let t: TestApp;
  let productId: number;
  let otherProductId: number;
  let licenseId: number;
  let licenseKey: string;
  let start: Date;

  const register = (input: Partial<Parameters<TestApp['keyward']['analytics']['register']>[1]>) =>
    t.keyward.analytics.register(testActor, {
      productId: null,
      key: null,
      machineCode: null,
      featureName: null,
      eventName: null,
      value: 0,
      currency: null,
      metadata: null,
      ...input,
    });
  const names = (page: Json) => page.data.map((e: Json) => e.eventName);

  beforeAll(async () => {
    t = await createTestApp();
    const { product, policy } = await productWithPolicy(t);
    productId = product.id;
    otherProductId = (await productWithPolicy(t)).product.id;
    ({ id: licenseId, key: licenseKey } = await createLicense(t, policy.id));
    start = t.clock.now();
    await register({ eventName: 'account-wide', machineCode: 'pc-0' });
    await register({ productId: otherProductId, eventName: 'other' });
    t.clock.advance(60);
    await register({
      productId,
      key: licenseKey,
      featureName: 'reports',
      eventName: 'start',
      machineCode: 'pc-1',
    });
    await register({
      productId,
      featureName: 'billing',
      eventName: 'purchase',
      value: 3000,
      currency: 'USD',
    });
  });
  afterAll(() => t.dispose());

  it('lists events newest first, with the key of their license', async () => {
    const page = await get(t, '/v1/analytics-events');
    expect(names(page)).toEqual(['purchase', 'start', 'other', 'account-wide']);
    expect(page.data[1]).toEqual({
      id: expect.any(Number),
      productId,
      licenseId,
      key: licenseKey,
      machineCode: 'pc-1',
      featureName: 'reports',
      eventName: 'start',
      value: 0,
      currency: null,
      metadata: null,
      ip: null,
      createdAt: new Date(start.getTime() + 60_000).toISOString(),
    });
    expect(page.nextCursor).toBeNull();
  });

  it('filters by product, license (id or key), machine, feature, event and time, and pages by cursor', async () => {
    expect(names(await get(t, `/v1/analytics-events?productId=${productId}`))).toEqual(['purchase', 'start']);
    expect(names(await get(t, `/v1/analytics-events?licenseId=${licenseId}`))).toEqual(['start']);
    expect(names(await get(t, `/v1/analytics-events?key=${licenseKey}`))).toEqual(['start']);
    expect(names(await get(t, '/v1/analytics-events?machineCode=pc-0'))).toEqual(['account-wide']);
    expect(names(await get(t, '/v1/analytics-events?featureName=billing'))).toEqual(['purchase']);
    expect(names(await get(t, '/v1/analytics-events?eventName=other'))).toEqual(['other']);
    const later = new Date(start.getTime() + 60_000).toISOString();
    expect(names(await get(t, `/v1/analytics-events?since=${later}`))).toEqual(['purchase', 'start']);
    const first = await get(t, '/v1/analytics-events?limit=3');
    expect(names(first)).toEqual(['purchase', 'start', 'other']);
    expect(names(await get(t, `/v1/analytics-events?limit=3&after=${first.nextCursor}`))).toEqual([
      'account-wide',
    ]);
  });

  it('answers 404 for a product or license that does not exist, 400 for a bad query', async () => {
    await expectError(
      t.call({ method: 'GET', url: '/v1/analytics-events?productId=999999' }),
      404,
      'NOT_FOUND',
    );
    await expectError(
      t.call({ method: 'GET', url: '/v1/analytics-events?licenseId=999999' }),
      404,
      'LICENSE_NOT_FOUND',
    );
    await expectError(
      t.call({ method: 'GET', url: '/v1/analytics-events?key=NOPE' }),
      404,
      'LICENSE_NOT_FOUND',
    );
    await expectError(t.call({ method: 'GET', url: '/v1/analytics-events?limit=0' }), 400, 'INVALID_INPUT');
    await expectError(
      t.call({ method: 'GET', url: '/v1/analytics-events?colour=red' }),
      400,
      'INVALID_INPUT',
    );
    await expectError(t.call({ method: 'GET', url: '/v1/analytics-events?after=x' }), 400, 'INVALID_INPUT');
  });

  it('shows a locked token only what its lock reaches; events of no product only to unlocked tokens', async () => {
    const { secret: productLocked } = await issueToken(t, {
      scopes: ['analytics:read'],
      productIds: [productId],
    });
    const mine = await t.call({ method: 'GET', url: '/v1/analytics-events', token: productLocked });
    expect(names(mine.json())).toEqual(['purchase', 'start']);
    const { secret: licenseLocked } = await issueToken(t, { scopes: ['analytics:read'], licenseId });
    const own = await t.call({ method: 'GET', url: '/v1/analytics-events', token: licenseLocked });
    expect(names(own.json())).toEqual(['start']);
    // Another product answers as a missing one.
    const hidden = await t.call({
      method: 'GET',
      url: `/v1/analytics-events?productId=${otherProductId}`,
      token: productLocked,
    });
    const missing = await t.call({
      method: 'GET',
      url: '/v1/analytics-events?productId=999999',
      token: productLocked,
    });
    expect(hidden.statusCode).toBe(404);
    expect(hidden.json().error.message).toBe(
      missing.json().error.message.replace('999999', String(otherProductId)),
    );
  });
});

describeRouteSecurity('analytics-events');
