import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPolicy, createProduct, expectError, get, type Json } from '../../test-support/native-calls.js';
import { issueToken } from '../../test-support/route-security.js';
import { rowCounts } from '../../test-support/row-counts.js';
import { createTestApp, type TestApp } from '../../test-support/test-app.js';

describe('Idempotency-Key on creating writes', () => {
  let t: TestApp;
  let productId: number;
  let policyId: number;
  beforeAll(async () => {
    t = await createTestApp();
    productId = (await createProduct(t)).id;
    policyId = (await createPolicy(t, productId)).id;
  });
  afterAll(() => t.dispose());

  const counts = () => rowCounts(t.keyward.store, () => t.keyward.bookkeeping.flush());
  const send = (url: string, payload: object, key: string, token?: string) =>
    t.call({
      method: 'POST',
      url,
      payload,
      headers: { 'idempotency-key': key },
      ...(token ? { token } : {}),
    });

  it('replays the first answer for the same key and body, creating one row', async () => {
    const before = await counts();
    const first = await send('/v1/licenses', { policyId, notes: 'once' }, 'key-replay');
    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const second = await send('/v1/licenses', { policyId, notes: 'once' }, 'key-replay');
    expect(second.statusCode).toBe(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body).toBe(first.body);
    expect(second.headers['content-type']).toMatch(/^application\/json/);
    const after = await counts();
    expect(after.licenses - before.licenses).toBe(1);
    expect(after.events - before.events).toBe(1);
  });

  it('replays a batch and an activation too', async () => {
    const batch = () => send('/v1/licenses/batch', { policyId, count: 3 }, 'key-batch');
    const first = await batch();
    const before = await counts();
    const second = await batch();
    expect([first.statusCode, second.statusCode]).toEqual([201, 201]);
    expect(second.body).toBe(first.body);
    expect(await counts()).toEqual(before);

    const licenseId = first.json().data[0].id;
    const activation = () => send('/v1/machines', { licenseId, fingerprint: 'fp' }, 'key-machine');
    const activated = await activation();
    const replayed = await activation();
    expect([activated.statusCode, replayed.statusCode]).toEqual([201, 201]);
    expect(replayed.headers['idempotent-replayed']).toBe('true');
  });

  it('refuses the same key with a different body with 409 IDEMPOTENCY_CONFLICT', async () => {
    await send('/v1/products', { name: 'First' }, 'key-conflict');
    const before = await counts();
    await expectError(send('/v1/products', { name: 'Second' }, 'key-conflict'), 409, 'IDEMPOTENCY_CONFLICT');
    expect(await counts()).toEqual(before);
  });

  it('does not keep a failed answer: a retry after the failure runs again', async () => {
    // The policy the request names does not exist yet: the first attempt fails with 404.
    const nextPolicyId =
      (await get(t, '/v1/policies?limit=1000')).data.reduce(
        (max: number, p: Json) => Math.max(max, p.id),
        0,
      ) + 1;
    const payload = { policyId: nextPolicyId, notes: 'retried' };
    const failed = await send('/v1/licenses', payload, 'key-after-failure');
    await expectError(failed, 404, 'NOT_FOUND');
    expect(failed.headers['idempotent-replayed']).toBeUndefined();

    expect((await createPolicy(t, productId)).id).toBe(nextPolicyId);
    const retried = await send('/v1/licenses', payload, 'key-after-failure');
    expect(retried.statusCode).toBe(201);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    expect(retried.json()).toMatchObject({ policyId: nextPolicyId, notes: 'retried' });
  });

  it('keeps keys apart per credential and per route', async () => {
    const { secret } = await issueToken(t, { scopes: ['products:write', 'customers:write'] });
    const mine = await send('/v1/products', { name: 'Same' }, 'key-shared');
    const theirs = await send('/v1/products', { name: 'Same' }, 'key-shared', secret);
    expect([mine.statusCode, theirs.statusCode]).toEqual([201, 201]);
    expect(theirs.headers['idempotent-replayed']).toBeUndefined();
    expect(theirs.json().id).not.toBe(mine.json().id);
    const customer = await send('/v1/customers', { name: 'Same' }, 'key-shared');
    expect(customer.statusCode).toBe(201);
    expect(customer.headers['idempotent-replayed']).toBeUndefined();
  });

  it('creates anew once the kept answer has expired', async () => {
    const first = await send('/v1/products', { name: 'Daily' }, 'key-ttl');
    t.clock.advance(25 * 3600);
    const second = await send('/v1/products', { name: 'Daily' }, 'key-ttl');
    expect(second.statusCode).toBe(201);
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    expect(second.json().id).not.toBe(first.json().id);
  });

  it('refuses a key that is empty, too long or not visible ASCII', async () => {
    for (const key of ['', 'x'.repeat(256), 'with space', 'ключ']) {
      const before = await counts();
      const response = await t.call({
        method: 'POST',
        url: '/v1/products',
        payload: { name: 'x' },
        headers: {
          'idempotency-key': encodeURIComponent(key) === key ? key : Buffer.from(key).toString('latin1'),
        },
      });
      await expectError(response, 400, 'INVALID_INPUT');
      expect(await counts()).toEqual(before);
    }
  });
});
