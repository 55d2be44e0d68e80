import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { operatorPrincipal } from '../core/access/principal.js';
import { systemClock } from '../core/clock.js';
import { createKeyward, type Keyward } from '../core/keyward.js';
import { SecretBox } from '../core/signing/secrets.js';
import { type AppOptions, buildApp } from '../http/build-app.js';
import type { App } from '../http/fastify-context.js';
import type { KeywardStore } from '../storage/create-store.js';
import { buildDashboardInto } from './browser.js';
import { createTestStore } from './test-store.js';

/**
 * The HTTP application listening on a loopback port, as the in-process browser tests run it: a fresh SQLite
 * store, the real clock, no rate limits, a build of the dashboard as it is now in a temporary directory of its
 * own (the shared dist may be older or being rebuilt), an admin token and a dashboard user. Unlike a served
 * Keyward, the test reaches the store and the services directly (to arrange what no page or route makes, or to
 * run a dispatcher now).
 */

export interface ListeningAppOptions {
  /** Prefix of the temporary directory of the dashboard build, which stop() removes. */
  dirPrefix: string;
  adminToken: string;
  user: { email: string; password: string; role: string };
  /** The name in `base`: one launchChromium maps to 127.0.0.1, or localhost. */
  hostName: string;
  /** Loopback destinations or email delivery, when the test needs them. */
  keyward?: Pick<Parameters<typeof createKeyward>[0], 'destinations' | 'email'>;
  app?: Pick<AppOptions, 'paymentAdapters'>;
}

export interface ListeningApp {
  store: KeywardStore;
  keyward: Keyward;
  app: App;
  /** What the browser opens: http://<hostName>:<port>. */
  base: string;
  /** Closes the app, flushes bookkeeping, disposes of the store, removes the directory. */
  stop(): Promise<void>;
}

export async function startListeningApp(options: ListeningAppOptions): Promise<ListeningApp> {
  const dir = mkdtempSync(join(tmpdir(), options.dirPrefix));
  try {
    buildDashboardInto(join(dir, 'dist'));
    const store = await createTestStore('sqlite');
    const keyward = createKeyward({
      store,
      clock: systemClock,
      secretBox: new SecretBox('test-secret-that-is-long-enough-0123456789'),
      onBackgroundError: () => {},
      ...options.keyward,
    });
    await keyward.signingKeys.load();
    await keyward.adminToken.ensure(options.adminToken);
    await keyward.dashboardAuth.createUser(
      { tokenId: null, ip: null, via: 'test', principal: operatorPrincipal },
      options.user,
    );
    const app = await buildApp({
      keyward,
      logger: false,
      rateLimit: { perTokenPerMinute: 0, perIpPerMinute: 0, redis: null },
      trustProxy: false,
      dashboardDir: join(dir, 'dist'),
      ...options.app,
    });
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    return {
      store,
      keyward,
      app,
      base: address.replace('127.0.0.1', options.hostName),
      stop: async () => {
        await app.close();
        await keyward.bookkeeping.flush();
        await store.dispose();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    // The test's afterAll gets nothing to stop.
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
