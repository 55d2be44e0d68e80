import { randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testActor } from '../../test-support/cryptolens-calls.js';
import { redisAvailable, TEST_REDIS_URL } from '../../test-support/redis.js';
import { issueToken } from '../../test-support/route-security.js';
import { createTestApp, type TestApp } from '../../test-support/test-app.js';

/**
 * A credential earns its own rate-limit bucket only once it is verified, and then the bucket is the token's
 * (not the text of a header): whatever a caller puts in headers, query or body, a request is counted either
 * against its verified credential or against its address. Each case tries one way around that on one surface.
 */

const PER_IP = 20;
const PER_TOKEN = 30;
const PASSWORD = 'a long enough password';

const junk = () => `kw_${randomBytes(12).toString('base64url')}`;
/** A fresh address per case (and per run: Redis keeps its counters for a minute). */
const freshAddress = () => `10.${randomBytes(3).join('.')}`;

function tally(answers: LightMyRequestResponse[], isLimited: (a: LightMyRequestResponse) => boolean) {
  const limited = answers.filter(isLimited).length;
  return { passed: answers.length - limited, limited };
}

const is429 = (a: LightMyRequestResponse) => a.statusCode === 429;
/** LimeLM answers every failure with HTTP 200; its rate limit is error 142. */
const isLimeLm142 = (a: LightMyRequestResponse) => a.json().code === 142;

const stores: Array<'memory' | 'redis'> = (await redisAvailable()) ? ['memory', 'redis'] : ['memory'];

for (const storeKind of stores) {
  describe(`rate limits count verified credentials, else the address (${storeKind})`, () => {
    let t: TestApp;
    let redis: Redis | null = null;

    beforeAll(async () => {
      redis = storeKind === 'redis' ? new Redis(TEST_REDIS_URL) : null;
      t = await createTestApp('sqlite', {
        rateLimit: {
          perTokenPerMinute: PER_TOKEN,
          perIpPerMinute: PER_IP,
          redis,
          namespace: `keyward-test-${randomBytes(6).toString('hex')}-`,
        },
      });
    });
    afterAll(async () => {
      await t.dispose();
      redis?.disconnect();
    });

    const times = async (n: number, send: (i: number) => Promise<LightMyRequestResponse>) => {
      const answers = [];
      for (let i = 0; i < n; i++) answers.push(await send(i));
      return answers;
    };

    it('native: anonymous validate-key with a random X-API-Key each time is limited per address', async () => {
      const remoteAddress = freshAddress();
      const answers = await times(40, () =>
        t.app.inject({
          method: 'POST',
          url: '/v1/licenses/actions/validate-key',
          payload: { key: 'NO-SUCH-KEY' },
          headers: { 'x-api-key': junk() },
          remoteAddress,
        }),
      );
      expect(tally(answers, is429)).toEqual({ passed: PER_IP, limited: 40 - PER_IP });
      expect(answers[0]?.statusCode).toBe(200);
      expect(answers.at(-1)?.json().error.code).toBe('RATE_LIMITED');
    });

    it('native: a random Authorization header each time is counted against the address', async () => {
      const remoteAddress = freshAddress();
      const answers = await times(40, () =>
        t.app.inject({
          method: 'POST',
          url: '/v1/licenses/actions/validate-key',
          payload: { key: 'NO-SUCH-KEY' },
          headers: { authorization: `Bearer ${junk()}` },
          remoteAddress,
        }),
      );
      expect(tally(answers, is429)).toEqual({ passed: PER_IP, limited: 40 - PER_IP });
      expect(answers[0]?.statusCode).toBe(401);
    });

    it('native: one valid token in varied case and spacing shares one bucket', async () => {
      const { secret } = await issueToken(t, { scopes: ['products:read'] });
      const spellings = [`Bearer ${secret}`, `bearer ${secret}`, `BEARER   ${secret}`, `Bearer\t${secret}  `];
      const answers = await times(40, (i) =>
        t.app.inject({
          method: 'GET',
          url: '/v1/products',
          headers: { authorization: spellings[i % spellings.length] as string },
          remoteAddress: freshAddress(),
        }),
      );
      expect(tally(answers, is429)).toEqual({ passed: PER_TOKEN, limited: 40 - PER_TOKEN });
    });

    it('native: a license key credential has its own bucket, whatever else the request carries', async () => {
      const product = await t.keyward.catalog.createProduct(testActor, { name: 'rate-limited app' });
      const policy = await t.keyward.catalog.createPolicy(testActor, {
        productId: product.id,
        name: 'app',
        allowLicenseAuth: true,
      });
      const license = await t.keyward.licenses.create(testActor, policy.id, {});
      const answers = await times(40, () =>
        t.app.inject({
          method: 'POST',
          url: `/v1/licenses/${license.id}/actions/validate`,
          payload: {},
          headers: { authorization: `License ${license.key}`, 'x-api-key': junk() },
          remoteAddress: freshAddress(),
        }),
      );
      expect(tally(answers, is429)).toEqual({ passed: PER_TOKEN, limited: 40 - PER_TOKEN });
    });

    it('Cryptolens: a valid token in the body with a random Authorization header uses the token’s bucket', async () => {
      const { secret } = await issueToken(t, { scopes: ['*'] });
      const answers = await times(40, () =>
        t.app.inject({
          method: 'POST',
          url: `/cryptolens/api/product/GetProducts?token=${junk()}`,
          headers: { authorization: junk(), 'content-type': 'application/x-www-form-urlencoded' },
          payload: `token=${secret}`,
          remoteAddress: freshAddress(),
        }),
      );
      expect(answers[0]?.json().result).toBe(0);
      expect(tally(answers, is429)).toEqual({ passed: PER_TOKEN, limited: 40 - PER_TOKEN });
    });

    it('Cryptolens: random tokens are counted against the address', async () => {
      const remoteAddress = freshAddress();
      const answers = await times(40, () =>
        t.app.inject({
          method: 'POST',
          url: '/cryptolens/api/product/GetProducts',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: `token=${junk()}`,
          remoteAddress,
        }),
      );
      expect(tally(answers, is429)).toEqual({ passed: PER_IP, limited: 40 - PER_IP });
      expect(answers.at(-1)?.json()).toEqual({
        result: 1,
        message: 'Too many requests. Please wait a minute and try again.',
      });
    });

    it('LimeLM: a valid api_key in the body with a random one in the query uses the token’s bucket', async () => {
      const { secret } = await issueToken(t, { scopes: ['*'] });
      const answers = await times(40, () =>
        t.app.inject({
          method: 'POST',
          url: `/api/rest/?api_key=${junk()}&format=json&nojsoncallback=1`,
          headers: { authorization: junk(), 'content-type': 'application/x-www-form-urlencoded' },
          payload: `api_key=${secret}&method=limelm.test.echo`,
          remoteAddress: freshAddress(),
        }),
      );
      expect(answers[0]?.json().stat).toBe('ok');
      expect(tally(answers, isLimeLm142)).toEqual({ passed: PER_TOKEN, limited: 40 - PER_TOKEN });
    });

    it('LimeLM: random api_keys are counted against the address', async () => {
      const remoteAddress = freshAddress();
      const answers = await times(40, () =>
        t.app.inject({
          method: 'GET',
          url: `/api/rest/?api_key=${junk()}&method=limelm.test.echo&format=json&nojsoncallback=1`,
          remoteAddress,
        }),
      );
      expect(tally(answers, isLimeLm142)).toEqual({ passed: PER_IP, limited: 40 - PER_IP });
    });

    it('AuthTool: random X-API-Keys are counted against the address', async () => {
      const remoteAddress = freshAddress();
      const answers = await times(40, () =>
        t.app.inject({
          method: 'GET',
          url: '/public/v1/key/NO-SUCH-KEY/detail',
          headers: { 'x-api-key': junk() },
          remoteAddress,
        }),
      );
      expect(tally(answers, is429)).toEqual({ passed: PER_IP, limited: 40 - PER_IP });
      expect(answers.at(-1)?.json()).toEqual({ message: 'Rate limit exceeded' });
    });

    it('AuthTool: a valid X-API-Key with a random Authorization header uses the token’s bucket', async () => {
      const { secret } = await issueToken(t, { scopes: ['*'] });
      const answers = await times(40, () =>
        t.app.inject({
          method: 'GET',
          url: '/public/v1/key/NO-SUCH-KEY/detail',
          headers: { 'x-api-key': secret, authorization: junk() },
          remoteAddress: freshAddress(),
        }),
      );
      expect(answers[0]?.statusCode).toBe(404);
      expect(tally(answers, is429)).toEqual({ passed: PER_TOKEN, limited: 40 - PER_TOKEN });
    });

    it('dashboard: a session counts against its user, whatever else the request carries', async () => {
      const email = `limits-${randomBytes(4).toString('hex')}@example.com`;
      await t.keyward.dashboardAuth.createUser(testActor, { email, password: PASSWORD, role: 'admin' });
      const signedIn = await t.app.inject({
        method: 'POST',
        url: '/v1/session',
        payload: { email, password: PASSWORD },
        remoteAddress: freshAddress(),
      });
      expect(signedIn.statusCode).toBe(200);
      const cookie = String([signedIn.headers['set-cookie']].flat()[0]).split(';')[0] as string;
      const csrf = signedIn.json().csrfToken as string;
      const answers = await times(40, () =>
        t.app.inject({
          method: 'GET',
          url: '/v1/products',
          headers: { cookie, 'x-csrf-token': csrf, 'x-api-key': junk() },
          remoteAddress: freshAddress(),
        }),
      );
      expect(answers[0]?.statusCode).toBe(200);
      expect(tally(answers, is429)).toEqual({ passed: PER_TOKEN, limited: 40 - PER_TOKEN });
    });

    it('dashboard: made-up session cookies are counted against the address', async () => {
      const remoteAddress = freshAddress();
      const answers = await times(40, () =>
        t.app.inject({
          method: 'GET',
          url: '/v1/products',
          headers: { cookie: `keyward_session=kws_${junk()}`, 'x-csrf-token': 'x' },
          remoteAddress,
        }),
      );
      expect(tally(answers, is429)).toEqual({ passed: PER_IP, limited: 40 - PER_IP });
    });
  });
}
