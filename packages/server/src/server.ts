import cluster from 'node:cluster';
import { Redis } from 'ioredis';
import type { Config } from './config.js';
import { systemActor } from './core/access/actor.js';
import { systemClock } from './core/clock.js';
import { createKeyward, type Keyward } from './core/keyward.js';
import { PeriodicTask } from './core/operations/periodic-task.js';
import { SecretBox } from './core/signing/secrets.js';
import { buildApp } from './http/build-app.js';
import { emailDelivery } from './http/email-delivery.js';
import type { App } from './http/fastify-context.js';
import { createOutboundHttp } from './http/outbound-http.js';
import { createPaymentAdapters } from './http/payments/payment-adapters.js';
import { loggerOptions } from './http/plugins/request-logging.js';
import { startIntegrationTasks } from './integration-tasks.js';
import { assertCanListen, connectRedis, explainListenFailure } from './start-up-failures.js';
import { createStore, type KeywardStore } from './storage/create-store.js';

export interface RunningServer {
  app: App;
  keyward: Keyward;
  store: KeywardStore;
  /** The address the server listens on. */
  url: string;
  /** The admin token generated on first start (printed once), or null. */
  generatedAdminToken: string | null;
  /** The dashboard admin created on first start (its password printed once), or null. */
  generatedDashboardAdmin: { email: string; password: string } | null;
  /** Stops taking requests, lets in-flight ones finish, flushes bookkeeping, closes the database. */
  close(): Promise<void>;
}

/** How often expired cleanable licenses are looked for: AuthTool deletes them "when expired". */
const CLEANUP_INTERVAL_MS = 60_000;
/** How often answers kept for Idempotency-Key retries are looked at; they are deleted after 24 hours. */
const IDEMPOTENCY_SWEEP_INTERVAL_MS = 60 * 60_000;

/** The composition root: config → storage → core → HTTP → listen. */
export async function startServer(config: Config): Promise<RunningServer> {
  // A cluster worker's listening is the primary's (which checked the port): a probe here would announce it.
  if (!cluster.isWorker) await assertCanListen(config.port, config.host);
  let app: App | null = null;
  const store = createStore(config.database, {
    durability: config.durability,
    preparedStatements: config.preparedStatements,
    poolSize: config.pgPoolSize,
    backgroundThreads: true,
    cacheEntries: config.cacheEntries,
    log: (message) => app?.log.warn(message),
  });
  const redis = config.redisUrl
    ? new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 })
    : null;
  // Said once per outage, not at every reconnection attempt; requests meanwhile fail open (rate-limits.ts).
  let isRedisDown = false;
  redis?.on('error', (error) => {
    if (isRedisDown || !app) return;
    isRedisDown = true;
    app.log.warn({ err: error }, 'redis unavailable; rate limits fail open until it is back');
  });
  redis?.on('ready', () => {
    if (!isRedisDown) return;
    isRedisDown = false;
    app?.log.info('redis reachable again; rate limits are shared again');
  });
  try {
    await store.migrate();
    if (redis && config.redisUrl) await connectRedis(redis, config.redisUrl);
    const keyward = createKeyward({
      store,
      clock: systemClock,
      secretBox: new SecretBox(config.secret, config.secretSource),
      onBackgroundError: (error) => app?.log.error({ err: error }, 'background bookkeeping failed'),
      maintenance: config.maintenance,
      destinations: config.destinations,
      publicUrl: config.publicUrl,
      email: emailDelivery(config.destinations),
    });
    await keyward.signingKeys.load();
    const { generated } = await keyward.adminToken.ensure(config.adminToken);
    const dashboardAdmin = await keyward.dashboardAuth.ensureFirstAdmin({
      ...systemActor,
      via: 'first start',
    });
    app = await buildApp({
      keyward,
      logger: loggerOptions(config.logLevel),
      rateLimit: { ...config.rateLimit, redis },
      trustProxy: config.trustProxy,
      limelm: config.limelm,
      paymentAdapters: createPaymentAdapters({
        outbound: createOutboundHttp(keyward.destinations),
        ...(config.stripeApiUrl ? { apiBase: config.stripeApiUrl } : {}),
      }),
    });
    const url = await app.listen({ port: config.port, host: config.host }).catch((error: unknown) => {
      throw explainListenFailure(error, config.port, config.host);
    });
    // Set by the entry point (keyward.cts) before anything started the pool, unless the operator chose.
    app.log.info(
      { threadPoolSize: process.env.UV_THREADPOOL_SIZE ?? 'libuv default (4)' },
      'libuv thread pool',
    );
    const running = app;
    // Cleanable licenses are deleted once due; safe while other server processes sweep the same database.
    const sweeper = new PeriodicTask(() => keyward.licenseCleanup.sweep(), {
      intervalMs: CLEANUP_INTERVAL_MS,
      onError: (error) => running.log.error({ err: error }, 'sweeping cleanable licenses failed'),
    });
    sweeper.start();
    // Lapsed floating leases are freed and announced (machine.lease_expired) within one interval, exactly once
    // whichever server process sweeps first.
    const leaseSweeper = new PeriodicTask(() => keyward.leaseSweep.sweep(), {
      intervalMs: config.leaseSweepSeconds * 1000,
      onError: (error) => running.log.error({ err: error }, 'freeing lapsed leases failed'),
    });
    leaseSweeper.start();
    // Answers kept for Idempotency-Key retries are deleted once no retry can ask for them.
    const idempotencySweeper = new PeriodicTask(() => keyward.idempotency.sweepExpired(), {
      intervalMs: IDEMPOTENCY_SWEEP_INTERVAL_MS,
      onError: (error) => running.log.error({ err: error }, 'deleting expired idempotency answers failed'),
    });
    idempotencySweeper.start();
    // Webhook deliveries, expiry notices and interrupted imports; each safe with several processes.
    const integrations = startIntegrationTasks(keyward, (error, task) =>
      running.log.error({ err: error }, `${task} failed`),
    );
    let closing: Promise<void> | null = null;
    return {
      app: running,
      keyward,
      store,
      url,
      generatedAdminToken: generated,
      generatedDashboardAdmin: dashboardAdmin,
      close: () => {
        closing ??= (async () => {
          await running.close();
          await sweeper.stop();
          await leaseSweeper.stop();
          await idempotencySweeper.stop();
          await integrations.stop();
          await keyward.bookkeeping.flush();
          await store.close();
          redis?.disconnect();
        })();
        return closing;
      },
    };
  } catch (error) {
    await app?.close().catch(() => {});
    await store.close().catch(() => {});
    redis?.disconnect();
    throw error;
  }
}
