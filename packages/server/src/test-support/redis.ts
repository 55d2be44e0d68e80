import { Redis } from 'ioredis';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Whether Redis tests run. In CI they must: an unreachable Redis fails the suite instead of skipping. */
export async function redisAvailable(): Promise<boolean> {
  const probe = new Redis(TEST_REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await probe.connect();
    await probe.ping();
    return true;
  } catch (error) {
    if (process.env.CI)
      throw new Error(`CI=true but Redis at ${TEST_REDIS_URL} is unreachable: ${String(error)}`);
    return false;
  } finally {
    probe.disconnect();
  }
}
