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
    // The limit counts the credential, not the route or the address.
    await expectError(
      t.call({ method: 'GET', url: '/v1/signing-keys', token: secret, remoteAddress: '198.51.100.1' }),
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
    // Refused credentials count too: retrying one wrong token is limited like any credential.
    const guesses = [];
    for (let i = 0; i < 4; i++)
      guesses.push((await t.call({ method: 'GET', url: '/v1/products', token: 'kw_guess' })).statusCode);
    expect(guesses).toEqual([401, 401, 401, 429]);
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
