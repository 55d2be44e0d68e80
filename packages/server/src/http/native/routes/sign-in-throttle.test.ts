import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../../core/clock.js';
import { createKeyward } from '../../../core/keyward.js';
import { SecretBox } from '../../../core/signing/secrets.js';
import { createStore, type KeywardStore } from '../../../storage/create-store.js';
import { testActor } from '../../../test-support/cryptolens-calls.js';
import { expectError, expectStatus } from '../../../test-support/native-calls.js';
import {
  ensureBuilt,
  freePorts,
  request,
  type ServerProcess,
  startServerProcess,
  waitUntilReady,
} from '../../../test-support/server-process.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';
import { createPostgresSchemaUrl, testDialects } from '../../../test-support/test-store.js';
import { buildApp } from '../../build-app.js';
import type { App } from '../../fastify-context.js';

/**
 * Sign-in throttling slows a guesser without locking the owner out: the (account, address) pair and, for a
 * browser that signed in before, its device cookie have budgets of their own; the account-wide and
 * address-wide budgets apply only to clients the account has never seen succeed. Counters live in the
 * database, so every server process spends the same budget.
 */

const PASSWORD = 'a long enough password';
const SHARED_USER = { email: 'shared@example.com', password: PASSWORD, role: 'admin' };
/** 20 parallel guesses from one address: the pair's 5 free failures are checked, the rest wait. */
const EXACT_BUDGET = [...Array(5).fill(401), ...Array(15).fill(429)];
const OWNER_ADDRESS = '198.51.100.10';
const ATTACKER_ADDRESS = '203.0.113.66';

type Inject = (options: InjectOptions) => Promise<LightMyRequestResponse>;

function deviceCookieOf(response: LightMyRequestResponse): string {
  const header = [response.headers['set-cookie']].flat().find((c) => c?.startsWith('keyward_device_'));
  if (!header) throw new Error(`no device cookie in ${JSON.stringify(response.headers['set-cookie'])}`);
  return header.split(';')[0] as string;
}

const signInWith =
  (inject: Inject) => (email: string, password: string, remoteAddress: string, cookie?: string) =>
    inject({
      method: 'POST',
      url: '/v1/session',
      payload: { email, password },
      remoteAddress,
      ...(cookie ? { headers: { cookie } } : {}),
    });

for (const dialect of await testDialects()) {
  describe(`sign-in throttling (${dialect})`, () => {
    let t: TestApp;
    let seq = 0;
    beforeAll(async () => {
      t = await createTestApp(dialect);
    });
    afterAll(() => t.dispose());

    const user = async () => {
      const email = `owner-${seq++}@example.com`;
      await t.keyward.dashboardAuth.createUser(testActor, { email, password: PASSWORD, role: 'admin' });
      return email;
    };
    const signIn = (email: string, password: string, address: string, cookie?: string) =>
      signInWith((o) => t.app.inject(o))(email, password, address, cookie);
    const fail = (email: string, address: string, i = 0) =>
      expectError(signIn(email, `wrong guess ${i}`, address), 401, 'UNAUTHENTICATED');

    it('lets the owner in with the right password after an attacker failed from another address', async () => {
      const email = await user();
      for (let i = 0; i < 11; i++) await signIn(email, `wrong guess ${i}`, ATTACKER_ADDRESS);
      await expectStatus(signIn(email, PASSWORD, OWNER_ADDRESS), 200);
    });

    it('slows the attacker exponentially, without checking passwords meanwhile', async () => {
      const email = await user();
      const address = '203.0.113.70';
      for (let i = 0; i < 5; i++) await fail(email, address, i);
      // The password is not even checked while the pair waits: the right one is refused too.
      const refused = await signIn(email, PASSWORD, address);
      await expectError(refused, 429, 'RATE_LIMITED');
      expect(refused.headers['retry-after']).toBe('1');
      const waits = [];
      for (let round = 0; round < 6; round++) {
        const blocked = await signIn(email, 'another guess', address);
        expect(blocked.statusCode).toBe(429);
        const wait = Number(blocked.headers['retry-after']);
        waits.push(wait);
        t.clock.advance(wait);
        await fail(email, address, round);
      }
      expect(waits).toEqual([1, 2, 4, 8, 16, 32]);
      t.clock.advance(15 * 60);
    });

    it('keeps a browser that signed in before signing in while many addresses guess', async () => {
      const email = await user();
      const first = await signIn(email, PASSWORD, OWNER_ADDRESS);
      await expectStatus(first, 200);
      const device = deviceCookieOf(first);
      expect([first.headers['set-cookie']].flat().join('\n')).toMatch(
        /keyward_device_\w+=[^;]+;.*HttpOnly.*SameSite=Strict/,
      );
      // A botnet: one guess per address, far past the account-wide budget for unknown clients.
      for (let i = 0; i < 40; i++) await signIn(email, `wrong guess ${i}`, `192.0.2.${i + 1}`);
      // An unknown browser on a new address waits, and learns how long...
      const stranger = await signIn(email, PASSWORD, '198.51.100.99');
      await expectError(stranger, 429, 'RATE_LIMITED');
      expect(Number(stranger.headers['retry-after'])).toBeGreaterThan(0);
      // ...while the owner's browser gets in from anywhere, even after typing the password wrong once.
      await expectError(signIn(email, 'typo', '198.51.100.98', device), 401, 'UNAUTHENTICATED');
      await expectStatus(signIn(email, PASSWORD, '198.51.100.98', device), 200);
      // So does the owner's usual address, without the cookie.
      await expectStatus(signIn(email, PASSWORD, OWNER_ADDRESS), 200);
      t.clock.advance(15 * 60);
    });

    it('slows unknown clients behind an address that failed often, not those that signed in from it', async () => {
      const proxy = '192.0.2.200';
      const regular = await user();
      await expectStatus(signIn(regular, PASSWORD, proxy), 200);
      const newcomer = await user();
      // 30 failures across 30 accounts: each below its own budget, together the address's.
      for (let i = 0; i < 30; i++) await fail(`nobody-${i}@example.com`, proxy, i);
      await expectStatus(signIn(regular, PASSWORD, proxy), 200);
      const slowed = await signIn(newcomer, PASSWORD, proxy);
      await expectError(slowed, 429, 'RATE_LIMITED');
      t.clock.advance(Number(slowed.headers['retry-after']));
      await expectStatus(signIn(newcomer, PASSWORD, proxy), 200);
      t.clock.advance(15 * 60);
    });

    it('forgets the counters of guessers who went quiet', async () => {
      const db = t.store.database.db;
      const rows = async () =>
        Number(
          (
            await db
              .selectFrom('sign_in_counters')
              .select((eb) => eb.fn.countAll<number | string>().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      t.clock.advance(25 * 3600);
      for (let i = 0; i < 10; i++) await fail(`quiet-${i}@example.com`, `192.0.2.${100 + i}`, i);
      const before = await rows();
      t.clock.advance(25 * 3600);
      await fail('someone@example.com', '192.0.2.150');
      // The quiet guessers' 30 counters are gone; what is left: this attempt's and the known clients'.
      expect(await rows()).toBeLessThan(before - 25);
    });

    it('checks exactly the budget of parallel guesses', async () => {
      const email = await user();
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) => signIn(email, `parallel guess ${i}`, '203.0.113.80')),
      );
      expect(answers.map((a) => a.statusCode).sort()).toEqual(EXACT_BUDGET);
      t.clock.advance(15 * 60);
    });
  });
}

describe.runIf((await testDialects()).includes('postgres'))(
  'sign-in throttling shared by two server instances on one PostgreSQL database',
  () => {
    const apps: App[] = [];
    const stores: KeywardStore[] = [];
    let drop: () => Promise<void> = async () => {};

    beforeAll(async () => {
      const schema = await createPostgresSchemaUrl();
      drop = schema.drop;
      const clock = manualClock(new Date());
      for (let i = 0; i < 2; i++) {
        const store = createStore({ kind: 'postgres', url: schema.url });
        if (i === 0) await store.migrate();
        stores.push(store);
        const keyward = createKeyward({
          store,
          clock,
          secretBox: new SecretBox('test-secret-that-is-long-enough-0123456789'),
          onBackgroundError: () => {},
        });
        await keyward.signingKeys.load();
        if (i === 0) await keyward.dashboardAuth.createUser(testActor, SHARED_USER);
        apps.push(
          await buildApp({
            keyward,
            logger: false,
            rateLimit: { perTokenPerMinute: 0, perIpPerMinute: 0, redis: null },
            trustProxy: false,
          }),
        );
      }
    });
    afterAll(async () => {
      for (const app of apps) await app.close();
      for (const store of stores) await store.close();
      await drop();
    });

    it('spends one budget, exactly, whichever instance answers', async () => {
      const signIn = (i: number, password: string, address: string) =>
        signInWith((o) => (apps[i % 2] as App).inject(o))(SHARED_USER.email, password, address);
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) => signIn(i, `guess ${i}`, ATTACKER_ADDRESS)),
      );
      expect(answers.map((a) => a.statusCode).sort()).toEqual(EXACT_BUDGET);
      // The owner, elsewhere, is not locked out by it.
      await expectStatus(signIn(1, PASSWORD, OWNER_ADDRESS), 200);
    });
  },
);

describe('sign-in throttling shared by two server processes on one SQLite file', () => {
  const servers: ServerProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'keyward-sign-in-'));
  const path = join(dir, 'keyward.sqlite');

  beforeAll(async () => {
    ensureBuilt();
    const store = createStore({ kind: 'sqlite', path });
    await store.migrate();
    const keyward = createKeyward({
      store,
      clock: manualClock(new Date()),
      secretBox: new SecretBox('test-secret-that-is-long-enough-0123456789'),
      onBackgroundError: () => {},
    });
    await keyward.dashboardAuth.createUser(testActor, SHARED_USER);
    await store.close();
    const ports = await freePorts(2);
    for (const port of ports)
      servers.push(startServerProcess({ port, databaseUrl: path, env: { TRUST_PROXY: 'true' } }));
    await Promise.all(servers.map((server) => waitUntilReady(server)));
  }, 60_000);
  afterAll(async () => {
    for (const server of servers) await server.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('spends one budget, exactly, whichever process answers', async () => {
    const signIn = (i: number, password: string, address: string) =>
      request((servers[i % 2] as ServerProcess).url, 'POST', '/v1/session', {
        token: null,
        json: { email: SHARED_USER.email, password },
        headers: { 'x-forwarded-for': address },
      });
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => signIn(i, `guess ${i}`, ATTACKER_ADDRESS)),
    );
    expect(answers.map((a) => a.status).sort()).toEqual(EXACT_BUDGET);
    expect((await signIn(1, PASSWORD, OWNER_ADDRESS)).status).toBe(200);
  });
});
