import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorPrincipal } from '../../../core/access/principal.js';
import {
  authtool,
  createKeys,
  createPackage,
  detail,
  expectAnswer,
  issueApiKey,
  multiBody,
  singleBody,
} from '../../../test-support/authtool-calls.js';
import { createTestApp, TEST_ADMIN_TOKEN, type TestApp } from '../../../test-support/test-app.js';
import { testDialects } from '../../../test-support/test-store.js';

/**
 * Every documented status code on every endpoint, in AuthTool's envelope: 200/201, 400 (change-status body),
 * 401, 403 (scope, product lock, IP allow-list), 404, 422 (each field of the create bodies) and 429.
 */

type Endpoint = {
  name: string;
  method: 'POST' | 'PATCH' | 'GET' | 'DELETE';
  /** Path for a key (ignored by the create endpoints). */
  path: (key: string) => string;
  payload?: (t: TestApp, packageId: number) => object;
  success: number;
  forbidden: RegExp;
};

const ENDPOINTS: Endpoint[] = [
  {
    name: 'single-activate',
    method: 'POST',
    path: () => '/key/single-activate',
    payload: (_t, p) => singleBody([p]),
    success: 201,
    forbidden: /permission to create keys/,
  },
  {
    name: 'multiple-activate',
    method: 'POST',
    path: () => '/key/multiple-activate',
    payload: (t, p) => multiBody(t, [p]),
    success: 201,
    forbidden: /permission to create keys/,
  },
  {
    name: 'reset',
    method: 'PATCH',
    path: (key) => `/key/${key}/reset`,
    success: 200,
    forbidden: /^You don't have permission to reset this key$/,
  },
  {
    name: 'detail',
    method: 'GET',
    path: (key) => `/key/${key}/detail`,
    success: 200,
    forbidden: /^You don't have permission to access this key$/,
  },
  {
    name: 'change-status',
    method: 'PATCH',
    path: (key) => `/key/${key}/change-status`,
    payload: () => ({ status: 0 }),
    success: 200,
    forbidden: /permission to change the status of this key/,
  },
  {
    name: 'delete',
    method: 'DELETE',
    path: (key) => `/key/${key}`,
    success: 200,
    forbidden: /^You don't have permission to delete this key$/,
  },
];

const takesKey = (e: Endpoint) => e.method !== 'POST';

describe.each(await testDialects())('AuthTool endpoints on %s', (dialect) => {
  let t: TestApp;
  let packageId: number;
  let otherPackageId: number;

  beforeAll(async () => {
    t = await createTestApp(dialect);
    packageId = await createPackage(t);
    otherPackageId = await createPackage(t);
  });
  afterAll(() => t.dispose());

  const freshKey = async () => (await createKeys(t, 'single', singleBody([packageId])))[0] as string;
  const call = async (e: Endpoint, apiKey: string | null, extra: { remoteAddress?: string } = {}) =>
    authtool(t, {
      method: e.method,
      path: e.path(takesKey(e) ? await freshKey() : ''),
      ...(e.payload ? { payload: e.payload(t, packageId) } : {}),
      apiKey,
      ...extra,
    });

  describe.each(ENDPOINTS)('$name', (e) => {
    it(`answers ${e.success} to the owner of the key`, async () => {
      const body = await expectAnswer(call(e, TEST_ADMIN_TOKEN), e.success);
      expect(body.message ?? body.key).toBeDefined();
    });

    it('answers 401 "Invalid API key" without X-API-Key, with an unknown one, and with a revoked one', async () => {
      await expectAnswer(call(e, null), 401, /^Invalid API key$/);
      await expectAnswer(call(e, 'kw_not_a_real_token_0123456789abcdef'), 401, /^Invalid API key$/);
      const { secret, token } = await issueApiKey(t);
      await t.keyward.tokens.revoke(
        { tokenId: null, ip: null, via: 'test', principal: operatorPrincipal },
        token.id,
      );
      await expectAnswer(call(e, secret), 401, /^Invalid API key$/);
    });

    it('answers 403 to a token without the scope it needs', async () => {
      const { secret } = await issueApiKey(t, { scopes: ['events:read'] });
      await expectAnswer(call(e, secret), 403, e.forbidden);
    });

    it("answers a token locked to other products than the key's as if the key or package did not exist", async () => {
      const { secret } = await issueApiKey(t, { productIds: [otherPackageId] });
      const locked = await call(e, secret);
      const missing = await authtool(t, {
        method: e.method,
        path: e.path('NOPE0-NOPE0-NOPE0'),
        ...(e.payload ? { payload: e.payload(t, 987_654) } : {}),
        apiKey: secret,
      });
      expect(locked.statusCode).toBe(takesKey(e) ? 404 : 422);
      expect(locked.body.replace(/\d+/g, '#')).toBe(missing.body.replace(/\d+/g, '#'));
    });

    it("answers 403 outside the token's IP allow-list and its answer inside it", async () => {
      const { secret } = await issueApiKey(t, { ipAllowlist: ['10.1.0.0/16'] });
      await expectAnswer(call(e, secret, { remoteAddress: '192.0.2.7' }), 403, /not whitelisted/);
      await expectAnswer(call(e, secret, { remoteAddress: '10.1.2.3' }), e.success);
    });

    if (takesKey(e)) {
      it('answers 404 "Key not found" for an unknown key', async () => {
        await expectAnswer(
          authtool(t, {
            method: e.method,
            path: e.path('NO-SUCH-KEY'),
            ...(e.payload ? { payload: e.payload(t, packageId) } : {}),
          }),
          404,
          /^Key not found$/,
        );
      });
    }
  });

  it('answers 422 naming the first invalid field of single-activate', async () => {
    const cases: Array<[object, RegExp]> = [
      [{}, /^quantity is required$/],
      [{ quantity: 0 }, /^quantity must be an integer from 1 to 999$/],
      [{ quantity: 1000 }, /quantity/],
      [{ quantity: 1.5 }, /quantity/],
      [{ quantity: 1 }, /^packageIds is required$/],
      [{ quantity: 1, packageIds: [] }, /packageIds/],
      [{ quantity: 1, packageIds: [0] }, /packageIds/],
      [{ quantity: 1, packageIds: 'all' }, /packageIds/],
      [{ quantity: 1, packageIds: [packageId] }, /^duration is required$/],
      [
        { quantity: 1, packageIds: [packageId], duration: 10_000 },
        /^duration must be an integer from 1 to 9999$/,
      ],
      [
        { quantity: 1, packageIds: [packageId], duration: 1 },
        /^unit must be one of hour, day, week, month, year$/,
      ],
      [{ quantity: 1, packageIds: [packageId], duration: 1, unit: 'minute' }, /unit/],
      [singleBody([packageId], { alias: 7 }), /alias/],
      [singleBody([packageId], { alias: 'x'.repeat(101) }), /alias/],
      [singleBody([packageId], { isCleanable: 'maybe' }), /isCleanable/],
      [singleBody([999_999]), /^packageIds: product 999999 does not exist$/],
      [singleBody([packageId, 999_998]), /^packageIds: product 999998 does not exist$/],
    ];
    for (const [payload, message] of cases) {
      await expectAnswer(
        authtool(t, { method: 'POST', path: '/key/single-activate', payload }),
        422,
        message,
      );
    }
  });

  it('answers 422 naming the first invalid field of multiple-activate', async () => {
    const past = new Date(t.clock.now().getTime() - 1000).toISOString();
    const cases: Array<[object, RegExp]> = [
      [{}, /^quantity is required$/],
      [multiBody(t, [packageId], { activateCount: undefined }), /^activateCount is required$/],
      [
        multiBody(t, [packageId], { activateCount: 1 }),
        /^activateCount must be an integer from 2 to 9999999$/,
      ],
      [multiBody(t, [packageId], { activateCount: 10_000_000 }), /activateCount/],
      [multiBody(t, [packageId], { endDate: undefined }), /^endDate is required$/],
      [multiBody(t, [packageId], { endDate: 'next week' }), /^endDate must be an ISO 8601 date/],
      [multiBody(t, [packageId], { endDate: '2030-02-30T00:00:00Z' }), /ISO 8601/],
      [multiBody(t, [packageId], { endDate: 1_900_000_000 }), /ISO 8601/],
      [multiBody(t, [packageId], { endDate: past }), /^endDate must be a future date$/],
      [multiBody(t, [packageId], { endDate: '2024-12-31T23:59:59Z' }), /^endDate must be a future date$/],
      // The first invalid field wins: quantity is checked before endDate.
      [multiBody(t, [packageId], { quantity: 0, endDate: past }), /^quantity/],
    ];
    for (const [payload, message] of cases) {
      await expectAnswer(
        authtool(t, { method: 'POST', path: '/key/multiple-activate', payload }),
        422,
        message,
      );
    }
  });

  it('writes nothing when a create request is refused', async () => {
    const before = (await t.keyward.licenses.list({ productId: packageId }, { after: null, limit: 1000 }))
      .length;
    await expectAnswer(
      authtool(t, {
        method: 'POST',
        path: '/key/single-activate',
        payload: singleBody([packageId, 999_997]),
      }),
      422,
    );
    const after = (await t.keyward.licenses.list({ productId: packageId }, { after: null, limit: 1000 }))
      .length;
    expect(after).toBe(before);
  });

  it('answers change-status without a valid status with 400 and details', async () => {
    const key = await freshKey();
    const path = `/key/${key}/change-status`;
    const missing = await expectAnswer(
      authtool(t, { method: 'PATCH', path, payload: {} }),
      400,
      /^Validation error$/,
    );
    expect(missing.details).toBe('status is required');
    const empty = await expectAnswer(authtool(t, { method: 'PATCH', path }), 400);
    expect(empty.details).toBe('status is required');
    const wrong = await expectAnswer(authtool(t, { method: 'PATCH', path, payload: { status: 2 } }), 400);
    expect(wrong.details).toMatch(/0 \(disabled\) or 1 \(enabled\)/);
    expect((await detail(t, key)).key.status).toBe(1);
  });

  it('lets a product-locked token create keys for its own packages only', async () => {
    const { secret } = await issueApiKey(t, { productIds: [packageId], scopes: ['licenses:write'] });
    await createKeys(t, 'single', singleBody([packageId]), secret);
    await expectAnswer(
      authtool(t, {
        method: 'POST',
        path: '/key/single-activate',
        payload: singleBody([packageId, otherPackageId]),
        apiKey: secret,
      }),
      422,
      /does not exist/,
    );
  });

  it('answers unknown paths under /public/v1 with 404 in the envelope', async () => {
    await expectAnswer(authtool(t, { method: 'GET', path: '/keys' }), 404, /^Not found$/);
    await expectAnswer(authtool(t, { method: 'PUT', path: '/key/ABC/reset' }), 404);
  });
});

describe('AuthTool rate limits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('sqlite', { rateLimit: { perTokenPerMinute: 1, perIpPerMinute: 1 } });
  });
  afterAll(() => t.dispose());

  it.each(ENDPOINTS)(
    'answers 429 "Rate limit exceeded" on $name once the API key used its share',
    async (e) => {
      const packageId = await createPackage(t);
      const [key] = await t.keyward.keyIssuing.issue(
        { tokenId: null, ip: null, via: 'test', principal: operatorPrincipal },
        {
          kind: 'single-activation',
          productIds: [packageId],
          count: 1,
          validity: { count: 1, unit: 'day' },
          alias: null,
          isCleanable: false,
        },
      );
      const { secret } = await issueApiKey(t);
      const request = () =>
        authtool(t, {
          method: e.method,
          path: e.path(key?.key as string),
          ...(e.payload ? { payload: e.payload(t, packageId) } : {}),
          apiKey: secret,
        });
      await expectAnswer(request(), e.success);
      const refused = await expectAnswer(request(), 429, /^Rate limit exceeded$/);
      expect(refused).toEqual({ message: 'Rate limit exceeded' });
    },
  );
});
