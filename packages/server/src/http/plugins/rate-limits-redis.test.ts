import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../core/clock.js';
import { createKeyward } from '../../core/keyward.js';
import { SecretBox } from '../../core/signing/secrets.js';
import { redisAvailable, TEST_REDIS_URL } from '../../test-support/redis.js';
import { createTestStore } from '../../test-support/test-store.js';
import { buildApp } from '../build-app.js';
import type { App } from '../fastify-context.js';

describe.runIf(await redisAvailable())('rate limits shared through Redis', () => {
  const redis = new Redis(TEST_REDIS_URL);
  const apps: App[] = [];
  const disposers: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    // Two server processes in miniature: separate apps and stores, one Redis.
    for (let i = 0; i < 2; i++) {
      const store = await createTestStore('sqlite');
      const keyward = createKeyward({
        store,
        clock: manualClock(new Date()),
        secretBox: new SecretBox('test-secret-that-is-long-enough-0123456789'),
        onBackgroundError: () => {},
      });
      await keyward.signingKeys.load();
      const app = await buildApp({
        keyward,
        logger: false,
        rateLimit: { perTokenPerMinute: 1000, perIpPerMinute: 3, redis },
        trustProxy: false,
      });
      apps.push(app);
      disposers.push(async () => {
        await app.close();
        await store.dispose();
      });
    }
  });
  afterAll(async () => {
    for (const dispose of disposers) await dispose();
    redis.disconnect();
  });

  it('counts requests of one address across processes', async () => {
    // A fresh address per run, so counters left in Redis by earlier runs do not interfere.
    const ip = `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
    const hit = (app: App) => app.inject({ method: 'GET', url: '/v1/signing-keys', remoteAddress: ip });
    const statuses = [];
    for (const app of [apps[0], apps[1], apps[0], apps[1]] as App[])
      statuses.push((await hit(app)).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const refused = await hit(apps[0] as App);
    expect(refused.json().error.code).toBe('RATE_LIMITED');
  });
});
