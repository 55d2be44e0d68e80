import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../test-support/native-calls.js';
import { issueToken } from '../../test-support/route-security.js';
import { createTestApp, type TestApp } from '../../test-support/test-app.js';

describe('rate limits (in memory)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('sqlite', { rateLimit: { perTokenPerMinute: 3, perIpPerMinute: 2 } });
  });
  afterAll(() => t.dispose());

  it('refuses the 4th request of one token with 429 RATE_LIMITED; another token goes on', async () => {
    const { secret } = await issueToken(t, { scopes: ['products:read'] });
    const statuses = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await t.call({ method: 'GET', url: '/v1/products', token: secret })).statusCode);
    expect(statuses).toEqual([200, 200, 200]);
    const refused = await t.call({ method: 'GET', url: '/v1/products', token: secret });
    const error = await expectError(refused, 429, 'RATE_LIMITED');
    expect(error.message).toContain('3 requests');
    expect(refused.headers['retry-after']).toBeDefined();
    // The limit counts the verified credential, not the route or the address (even where it lacks the scope).
    await expectError(
      t.call({ method: 'GET', url: '/v1/licenses', token: secret, remoteAddress: '198.51.100.1' }),
      429,
      'RATE_LIMITED',
    );
    const { secret: other } = await issueToken(t, { scopes: ['products:read'] });
    expect((await t.call({ method: 'GET', url: '/v1/products', token: other })).statusCode).toBe(200);
  });

  it('limits anonymous requests per IP address', async () => {
    const anonymous = (remoteAddress: string) =>
      t.call({ method: 'GET', url: '/v1/signing-keys', token: null, remoteAddress });
    expect((await anonymous('203.0.113.5')).statusCode).toBe(200);
    expect((await anonymous('203.0.113.5')).statusCode).toBe(200);
    await expectError(anonymous('203.0.113.5'), 429, 'RATE_LIMITED');
    expect((await anonymous('203.0.113.6')).statusCode).toBe(200);
    // A credential that does not verify earns no bucket of its own: its requests spend the address's.
    const guesses = [];
    for (let i = 0; i < 4; i++)
      guesses.push((await t.call({ method: 'GET', url: '/v1/products', token: `kw_guess_${i}` })).statusCode);
    expect(guesses).toEqual([401, 401, 429, 429]);
  });

  it('counts a request without credential before reading its body; one refused before authentication when it ends', async () => {
    const malformed = (remoteAddress: string, headers: Record<string, string> = {}) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/products',
        headers: { 'content-type': 'application/json', ...headers },
        payload: '{"name":',
        remoteAddress,
      });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await malformed('203.0.113.7')).statusCode);
    expect(statuses).toEqual([400, 400, 429]);
    // With a credential the body is parsed before the credential is checked; the request still counts.
    const guessed = [];
    for (let i = 0; i < 3; i++)
      guessed.push((await malformed('203.0.113.8', { authorization: `Bearer kw_guess_${i}` })).statusCode);
    expect(guessed).toEqual([400, 400, 400]);
    await expectError(malformed('203.0.113.8'), 429, 'RATE_LIMITED');
  });

  it('never limits the health checks', async () => {
    for (let i = 0; i < 5; i++) {
      expect(
        (await t.call({ method: 'GET', url: '/healthz', token: null, remoteAddress: '203.0.113.9' }))
          .statusCode,
      ).toBe(200);
    }
  });
});
