import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  activate,
  createLicense,
  expectError,
  get,
  type Json,
  post,
  productWithPolicy,
} from '../../../test-support/native-calls.js';
import { describeRouteSecurity, issueToken } from '../../../test-support/route-security.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';

describe('events routes', () => {
  let t: TestApp;
  let productId: number;
  let licenseId: number;
  let machineId: number;
  let start: Date;
  let later: Date;
  beforeAll(async () => {
    t = await createTestApp();
    start = t.clock.now();
    const { product, policy } = await productWithPolicy(t);
    productId = product.id;
    licenseId = (await createLicense(t, policy.id)).id;
    t.clock.advance(60);
    later = t.clock.now();
    machineId = (await activate(t, licenseId, 'audited')).id;
    await post(t, `/v1/licenses/${licenseId}/actions/suspend`, {}, 200);
  });
  afterAll(() => t.dispose());

  const types = (page: Json) => page.data.map((e: Json) => e.type);

  describe('GET /v1/events', () => {
    it('lists the audit log newest first', async () => {
      const page = await get(t, '/v1/events');
      expect(types(page)).toEqual([
        'license.suspended',
        'machine.activated',
        'license.created',
        'policy.created',
        'product.created',
      ]);
      expect(page.data[0]).toEqual({
        id: expect.any(Number),
        type: 'license.suspended',
        licenseId,
        productId,
        machineId: null,
        tokenId: expect.any(Number),
        code: null,
        ip: '127.0.0.1',
        data: expect.objectContaining({ via: 'native' }),
        createdAt: later.toISOString(),
      });
    });

    it('filters by type, license, product, machine and time', async () => {
      expect(types(await get(t, '/v1/events?type=machine.activated'))).toEqual(['machine.activated']);
      expect(types(await get(t, `/v1/events?licenseId=${licenseId}`))).toEqual([
        'license.suspended',
        'machine.activated',
        'license.created',
      ]);
      expect(types(await get(t, `/v1/events?productId=${productId}`))).toHaveLength(5);
      expect(types(await get(t, `/v1/events?machineId=${machineId}`))).toEqual(['machine.activated']);
      expect(types(await get(t, `/v1/events?since=${later.toISOString()}`))).toEqual([
        'license.suspended',
        'machine.activated',
      ]);
      expect(types(await get(t, `/v1/events?until=${later.toISOString()}`))).toEqual([
        'license.created',
        'policy.created',
        'product.created',
      ]);
      expect(
        types(
          await get(
            t,
            `/v1/events?since=${start.toISOString()}&until=${later.toISOString()}&type=policy.created`,
          ),
        ),
      ).toEqual(['policy.created']);
    });

    it('pages with a cursor', async () => {
      const first = await get(t, '/v1/events?limit=2');
      expect(types(first)).toEqual(['license.suspended', 'machine.activated']);
      const second = await get(t, `/v1/events?limit=2&after=${first.nextCursor}`);
      expect(types(second)).toEqual(['license.created', 'policy.created']);
      const last = await get(t, `/v1/events?limit=2&after=${second.nextCursor}`);
      expect(last).toEqual({
        data: [expect.objectContaining({ type: 'product.created' })],
        nextCursor: null,
      });
    });

    it('refuses invalid dates and cursors', async () => {
      for (const query of [
        'since=yesterday',
        'until=2024-02-30T00:00:00Z',
        'since=2016-12-31T23:59:60Z',
        'after=x',
      ]) {
        await expectError(t.call({ method: 'GET', url: `/v1/events?${query}` }), 400, 'INVALID_INPUT');
      }
    });

    it('makes a locked token name what it reaches', async () => {
      const { secret } = await issueToken(t, { scopes: ['events:read'], productIds: [productId] });
      await expectError(t.call({ method: 'GET', url: '/v1/events', token: secret }), 403, 'FORBIDDEN');
      const scoped = await t.call({ method: 'GET', url: `/v1/events?productId=${productId}`, token: secret });
      expect(scoped.statusCode).toBe(200);
    });

    it('filters by key: exact, or ignoring case, dashes and spaces', async () => {
      const key = (await get(t, `/v1/licenses/${licenseId}`)).key as string;
      const expected = ['license.suspended', 'machine.activated', 'license.created'];
      expect(types(await get(t, `/v1/events?key=${encodeURIComponent(key)}`))).toEqual(expected);
      const typed = key.toLowerCase().replaceAll('-', '');
      expect(types(await get(t, `/v1/events?key=${typed}&type=machine.activated`))).toEqual([
        'machine.activated',
      ]);
      const unknown = await expectError(
        t.call({ method: 'GET', url: '/v1/events?key=NO-SUCH-KEY' }),
        404,
        'LICENSE_NOT_FOUND',
      );
      // A fragment names no license; only the whole key does.
      await expectError(
        t.call({ method: 'GET', url: `/v1/events?key=${typed.slice(3)}` }),
        404,
        unknown.code,
      );
      await expectError(
        t.call({ method: 'GET', url: `/v1/events?key=${typed}&licenseId=${licenseId}` }),
        400,
        'INVALID_INPUT',
      );
      await expectError(t.call({ method: 'GET', url: '/v1/events?key=' }), 400, 'INVALID_INPUT');
    });

    it('answers a key the caller may not reach exactly as an unknown key', async () => {
      const other = await productWithPolicy(t);
      const hidden = await createLicense(t, other.policy.id);
      const { secret } = await issueToken(t, { scopes: ['events:read'], productIds: [productId] });
      const answer = async (key: string) => {
        const error = await expectError(
          t.call({ method: 'GET', url: `/v1/events?key=${encodeURIComponent(key)}`, token: secret }),
          404,
          'LICENSE_NOT_FOUND',
        );
        return { ...error, requestId: undefined };
      };
      expect(await answer(hidden.key)).toEqual(await answer('NO-SUCH-KEY'));
      expect(await answer(hidden.key.toLowerCase())).toEqual(await answer('NO-SUCH-KEY'));
      // The key of a license the token reaches works; so does the unlocked token on the hidden one.
      const reached = (await get(t, `/v1/licenses/${licenseId}`)).key as string;
      const mine = await t.call({ method: 'GET', url: `/v1/events?key=${reached}`, token: secret });
      expect(mine.statusCode).toBe(200);
      expect(types(await get(t, `/v1/events?key=${hidden.key}`))).toEqual(['license.created']);
    });

    it('tells apart two keys that differ only in case or dashes only by the exact key', async () => {
      const { policy } = await productWithPolicy(t);
      const upper = await createLicense(t, policy.id, { key: 'TWIN-KEY-1' });
      const lower = await createLicense(t, policy.id, { key: 'twin-key-1' });
      const ofKey = async (key: string) =>
        (await get(t, `/v1/events?key=${encodeURIComponent(key)}`)).data.map((e: Json) => e.licenseId);
      expect(await ofKey('TWIN-KEY-1')).toEqual([upper.id]);
      expect(await ofKey('twin-key-1')).toEqual([lower.id]);
      await expectError(t.call({ method: 'GET', url: '/v1/events?key=twinkey1' }), 400, 'INVALID_INPUT');
    });
  });
});

describeRouteSecurity('events');
