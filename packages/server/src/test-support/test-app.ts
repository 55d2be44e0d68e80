import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { manualClock } from '../core/clock.js';
import type { PaymentProvider } from '../core/commerce/purchase-event.js';
import { createKeyward, type Keyward } from '../core/keyward.js';
import { PUBLIC_ONLY } from '../core/operations/network-destinations.js';
import { SecretBox } from '../core/signing/secrets.js';
import { buildApp } from '../http/build-app.js';
import { emailDelivery } from '../http/email-delivery.js';
import type { App } from '../http/fastify-context.js';
import type { PaymentAdapter } from '../http/payments/payment-adapter.js';
import type { RateLimitOptions } from '../http/plugins/rate-limits.js';
import type { KeywardStore } from '../storage/create-store.js';
import { createTestStore, type TestDialect } from './test-store.js';

export const TEST_ADMIN_TOKEN = 'kw_test_admin_token_0123456789abcdef';

export interface TestApp {
  app: App;
  keyward: Keyward;
  /** The store the app runs on, for tests that arrange or inspect what no API exposes. */
  store: KeywardStore;
  clock: ReturnType<typeof manualClock>;
  /** Injects a request as the admin unless `token` (or `headers.authorization`) says otherwise. */
  call(options: InjectOptions & { token?: string | null }): Promise<LightMyRequestResponse>;
  dispose(): Promise<void>;
}

/** The whole HTTP application over a fresh migrated store, with a manual clock and no rate limits. */
export async function createTestApp(
  dialect: TestDialect = 'sqlite',
  options: {
    rateLimit?: Partial<RateLimitOptions>;
    /** Lets webhooks and imports reach loopback receivers, as KEYWARD_ALLOW_PRIVATE_DESTINATIONS=true does. */
    allowPrivateDestinations?: boolean;
    /** KEYWARD_PUBLIC_URL: the base of the links the customer portal mails; default none. */
    publicUrl?: string | null;
    /** Webhook adapters of payment providers (the receiving route answers 503 for a provider without one). */
    paymentAdapters?: Partial<Record<PaymentProvider, PaymentAdapter>>;
  } = {},
): Promise<TestApp> {
  const store = await createTestStore(dialect);
  const clock = manualClock(new Date());
  const keyward = createKeyward({
    store,
    clock,
    secretBox: new SecretBox('test-secret-that-is-long-enough-0123456789'),
    onBackgroundError: (error) => {
      throw error;
    },
    bookkeepingIntervalMs: 10,
    ...(options.allowPrivateDestinations ? { destinations: { allowPrivate: 'all' as const } } : {}),
    publicUrl: options.publicUrl ?? null,
    email: emailDelivery(options.allowPrivateDestinations ? { allowPrivate: 'all' } : PUBLIC_ONLY),
  });
  await keyward.signingKeys.load();
  await keyward.adminToken.ensure(TEST_ADMIN_TOKEN);
  const app = await buildApp({
    keyward,
    logger: false,
    rateLimit: { perTokenPerMinute: 0, perIpPerMinute: 0, redis: null, ...options.rateLimit },
    trustProxy: false,
    ...(options.paymentAdapters ? { paymentAdapters: options.paymentAdapters } : {}),
  });
  await app.ready();
  return {
    app,
    keyward,
    store,
    clock,
    call: ({ token = TEST_ADMIN_TOKEN, headers, ...rest }) =>
      app.inject({
        ...rest,
        headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...headers },
      }),
    dispose: async () => {
      await app.close();
      await keyward.bookkeeping.flush();
      await store.dispose();
    },
  };
}
