import { Writable } from 'node:stream';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorPrincipal } from '../../core/access/principal.js';
import { manualClock } from '../../core/clock.js';
import { createKeyward, type Keyward } from '../../core/keyward.js';
import { SecretBox } from '../../core/signing/secrets.js';
import { createTestStore } from '../../test-support/test-store.js';
import { buildApp } from '../build-app.js';
import type { App } from '../fastify-context.js';
import { loggerOptions } from './request-logging.js';

const ADMIN = 'kw_logtest_admin_token_0123456789abcdef';
const actor = { tokenId: null, ip: null, via: 'test', principal: operatorPrincipal };

describe('request logging keeps credentials out of the log', () => {
  const lines: string[] = [];
  let app: App;
  let keyward: Keyward;
  let dispose: () => Promise<void>;
  let secrets: string[];
  const requestIds: string[] = [];

  beforeAll(async () => {
    const store = await createTestStore('sqlite');
    keyward = createKeyward({
      store,
      clock: manualClock(new Date()),
      secretBox: new SecretBox('test-secret-that-is-long-enough-0123456789'),
      onBackgroundError: () => {},
    });
    await keyward.signingKeys.load();
    await keyward.adminToken.ensure(ADMIN);
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    app = await buildApp({
      keyward,
      logger: { ...(loggerOptions('info') as object), stream },
      rateLimit: { perTokenPerMinute: 0, perIpPerMinute: 0, redis: null },
      trustProxy: false,
    });
    dispose = async () => {
      await app.close();
      await keyward.bookkeeping.flush();
      await store.dispose();
    };

    const product = await keyward.catalog.createProduct(actor, { name: 'Logged' });
    const policy = await keyward.catalog.createPolicy(actor, {
      productId: product.id,
      name: 'p',
      maxMachines: 5,
    });
    const license = await keyward.licenses.create(actor, policy.id, { key: 'LOGGED-KEY/WITH+CHARS' });
    const other = await keyward.licenses.create(actor, policy.id, {});
    const { secret } = await keyward.tokens.create(actor, operatorPrincipal, { name: 'app', scopes: ['*'] });
    secrets = [ADMIN, secret, license.key, encodeURIComponent(license.key), other.key];

    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    const requests: InjectOptions[] = [
      { method: 'GET', url: `/v1/licenses/${encodeURIComponent(license.key)}`, headers: bearer(ADMIN) },
      { method: 'GET', url: `/v1/licenses/${other.key}?token=${secret}`, headers: bearer(secret) },
      { method: 'GET', url: `/v1/licenses?key=${other.key}&api_key=${secret}`, headers: bearer(ADMIN) },
      {
        method: 'POST',
        url: '/v1/licenses/actions/validate-key',
        payload: { key: license.key, nonce: other.key },
      },
      {
        method: 'POST',
        url: '/v1/machines',
        payload: { fingerprint: 'fp' },
        headers: {
          authorization: `License ${license.key}`,
          'x-api-key': secret,
          cookie: `session=${secret}`,
        },
      },
      {
        method: 'POST',
        url: '/v1/tokens',
        payload: { name: secret, scopes: ['products:read'] },
        headers: bearer(ADMIN),
      },
      { method: 'GET', url: '/v1/products', headers: bearer(`${secret}x`) },
      { method: 'GET', url: '/v1/products', headers: { authorization: `License ${other.key}x` } },
      { method: 'GET', url: `/v1/no-such-route/${license.key}`, headers: bearer(ADMIN) },
      { method: 'GET', url: `/v1/licenses/${other.key}%FF`, headers: bearer(ADMIN) },
      {
        method: 'POST',
        url: '/v1/licenses',
        payload: `{"policyId":${policy.id},"key":"${other.key}`,
        headers: { ...bearer(ADMIN), 'content-type': 'application/json' },
      },
      // A key another license holds currently ends in an unhandled database error, which is logged with its stack.
      {
        method: 'POST',
        url: '/v1/licenses',
        payload: { policyId: policy.id, key: other.key },
        headers: bearer(ADMIN),
      },
    ];
    for (const request of requests) {
      const response = await app.inject(request);
      expect(response.statusCode).toBeLessThan(600);
      requestIds.push(String(response.headers['x-request-id']));
    }
    await keyward.bookkeeping.flush();
  });
  afterAll(() => dispose());

  it('logs every request once, with its request id and route pattern', () => {
    const completed = lines
      .map((line) => JSON.parse(line))
      .filter((entry) => entry.msg === 'request completed');
    const routed = requestIds.slice(0, 9);
    for (const id of routed) expect(completed.map((entry) => entry.reqId)).toContain(id);
    const routes = completed.map((entry) => entry.route);
    expect(routes).toContain('/v1/licenses/:idOrKey');
    expect(routes).toContain('/v1/licenses/actions/validate-key');
    expect(routes).toContain('/v1/machines');
    expect(completed[0]).toMatchObject({ method: 'GET', route: '/v1/licenses/:idOrKey', statusCode: 200 });
  });

  it('writes no token, license key or secret anywhere in the log', () => {
    const log = lines.join('');
    expect(log.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(log).not.toContain(secret);
    // The visible prefix of a token is fine to log; the part after it is the secret.
    expect(log).not.toMatch(/kw_[0-9a-f]{8}_[A-Za-z0-9_-]{8,}/);
  });
});
