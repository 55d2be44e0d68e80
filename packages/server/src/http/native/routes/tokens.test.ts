import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createProduct,
  expectError,
  expectStatus,
  get,
  type Json,
} from '../../../test-support/native-calls.js';
import { describeRouteSecurity } from '../../../test-support/route-security.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';

describe('tokens routes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.dispose());

  const createToken = (body: object, token?: string, status = 201) =>
    expectStatus(
      t.call({
        method: 'POST',
        url: '/v1/tokens',
        payload: { name: 'token', ...body },
        ...(token ? { token } : {}),
      }),
      status,
    );

  describe('POST /v1/tokens', () => {
    it('shows the secret once, and the token works', async () => {
      const product = await createProduct(t);
      const created = await createToken({
        name: 'ci',
        scopes: ['products:read', 'licenses:read'],
        productIds: [product.id],
        ipAllowlist: ['127.0.0.0/8', '::1'],
        expiresAt: new Date(t.clock.now().getTime() + 86_400_000).toISOString(),
      });
      expect(created).toMatchObject({
        id: expect.any(Number),
        name: 'ci',
        scopes: ['products:read', 'licenses:read'],
        productIds: [product.id],
        licenseId: null,
        ipAllowlist: ['127.0.0.0/8', '::1'],
        bindToFirstIp: false,
        boundIp: null,
        source: 'api',
        revokedAt: null,
        secret: expect.stringMatching(/^kw_[0-9a-f]{8}_/),
      });
      expect(created.secret.startsWith(created.prefix)).toBe(true);
      await expectStatus(
        t.call({ method: 'GET', url: `/v1/products/${product.id}`, token: created.secret }),
        200,
      );
    });

    it('cannot grant scopes, products or licenses wider than its creator holds', async () => {
      const product = await createProduct(t);
      const other = await createProduct(t);
      const creator = await createToken({
        scopes: ['tokens:write', 'products:read'],
        productIds: [product.id],
      });
      const refuse = async (body: object) => {
        const error = await expectError(
          t.call({
            method: 'POST',
            url: '/v1/tokens',
            payload: { name: 'child', ...body },
            token: creator.secret,
          }),
          403,
          'FORBIDDEN',
        );
        return error.message;
      };
      expect(await refuse({ scopes: ['products:write'] })).toContain('products:write');
      expect(await refuse({ scopes: ['*'] })).toContain('*');
      await refuse({ scopes: ['products:read'], productIds: [other.id] });
      await refuse({ scopes: ['products:read'], productIds: [] });
      const child = await createToken({ scopes: ['products:read'] }, creator.secret);
      expect(child.productIds).toEqual([product.id]);
    });

    it('refuses unknown scopes, bad IP ranges, past expiry and unknown products', async () => {
      const refuse = (body: object, status: number, code: string) =>
        expectError(
          t.call({ method: 'POST', url: '/v1/tokens', payload: { name: 'x', ...body } }),
          status,
          code,
        );
      await refuse({ scopes: ['root'] }, 400, 'INVALID_INPUT');
      await refuse({ scopes: [] }, 400, 'INVALID_INPUT');
      await refuse({ scopes: ['*'], ipAllowlist: ['10.0.0.0/33'] }, 400, 'INVALID_INPUT');
      await refuse({ scopes: ['*'], expiresAt: '2000-01-01T00:00:00Z' }, 400, 'INVALID_INPUT');
      await refuse({ scopes: ['*'], productIds: [999_999] }, 404, 'NOT_FOUND');
    });
  });

  describe('GET /v1/tokens', () => {
    it('never shows a secret or its hash', async () => {
      const created = await createToken({ scopes: ['events:read'] });
      const response = await t.call({ method: 'GET', url: '/v1/tokens' });
      expect(response.statusCode).toBe(200);
      const hash = createHash('sha256').update(created.secret).digest('hex');
      expect(response.body).not.toContain(created.secret);
      expect(response.body).not.toContain(hash);
      expect(response.body).not.toMatch(/secret/i);
      const listed = response.json().data.find((token: Json) => token.id === created.id);
      const { secret: _secret, ...shown } = created;
      expect(listed).toEqual({ ...shown });
    });

    it('shows revoked tokens only on request', async () => {
      const created = await createToken({ scopes: ['events:read'] });
      await expectStatus(t.call({ method: 'DELETE', url: `/v1/tokens/${created.id}` }), 204);
      const ids = async (query: string) =>
        (await get(t, `/v1/tokens${query}`)).data.map((tok: Json) => tok.id);
      expect(await ids('')).not.toContain(created.id);
      expect(await ids('?includeRevoked=true')).toContain(created.id);
      await expectError(
        t.call({ method: 'GET', url: '/v1/tokens?includeRevoked=perhaps' }),
        400,
        'INVALID_INPUT',
      );
    });
  });

  describe('DELETE /v1/tokens/:id', () => {
    it('revokes: the token stops working at once', async () => {
      const created = await createToken({ scopes: ['products:read'] });
      await expectStatus(t.call({ method: 'GET', url: '/v1/products', token: created.secret }), 200);
      await expectStatus(t.call({ method: 'DELETE', url: `/v1/tokens/${created.id}` }), 204);
      await expectError(
        t.call({ method: 'GET', url: '/v1/products', token: created.secret }),
        401,
        'UNAUTHENTICATED',
      );
    });

    it('answers an unknown or already revoked token with 404', async () => {
      await expectError(t.call({ method: 'DELETE', url: '/v1/tokens/999999' }), 404, 'NOT_FOUND');
      const created = await createToken({ scopes: ['products:read'] });
      await expectStatus(t.call({ method: 'DELETE', url: `/v1/tokens/${created.id}` }), 204);
      await expectError(t.call({ method: 'DELETE', url: `/v1/tokens/${created.id}` }), 404, 'NOT_FOUND');
    });
  });
});

describeRouteSecurity('tokens');
