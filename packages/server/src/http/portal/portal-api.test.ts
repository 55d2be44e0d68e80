import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorPrincipal } from '../../core/access/principal.js';
import { manualClock } from '../../core/clock.js';
import { createKeyward, type Keyward } from '../../core/keyward.js';
import { SecretBox } from '../../core/signing/secrets.js';
import { createTestStore } from '../../test-support/test-store.js';
import { buildApp } from '../build-app.js';
import type { App } from '../fastify-context.js';
import { loggerOptions } from '../plugins/request-logging.js';

const actor = { tokenId: null, ip: null, via: 'test', principal: operatorPrincipal };
const box = new SecretBox('test-secret-that-is-long-enough-0123456789');

/** The portal's API with the server's real logger: what the operator reads, and what never reaches the log. */
describe.each([null, 'https://licensing.example.com'])('portal API logging (public URL %s)', (publicUrl) => {
  const lines: string[] = [];
  let app: App;
  let keyward: Keyward;
  let dispose: () => Promise<void>;
  let store: Awaited<ReturnType<typeof createTestStore>>;

  beforeAll(async () => {
    store = await createTestStore('sqlite');
    keyward = createKeyward({
      store,
      clock: manualClock(new Date()),
      secretBox: box,
      onBackgroundError: () => {},
      publicUrl,
    });
    await keyward.signingKeys.load();
    const product = await keyward.catalog.createProduct(actor, { name: 'Logged' });
    const policy = await keyward.catalog.createPolicy(actor, { productId: product.id, name: 'Policy' });
    await keyward.licenses.create(actor, policy.id, { email: 'owner@example.com' });
    await keyward.portalSettings.update(actor, { isEnabled: true });
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
  });
  afterAll(() => dispose());

  it(
    publicUrl
      ? 'keeps links and session secrets out of the log'
      : 'tells the operator KEYWARD_PUBLIC_URL is missing',
    async () => {
      const asked = await app.inject({
        method: 'POST',
        url: '/portal/api/sign-in-links',
        payload: { email: 'owner@example.com' },
      });
      expect(asked.statusCode).toBe(202);
      const errors = lines.filter((line) => JSON.parse(line).level >= 50);
      if (!publicUrl) {
        expect(errors).toHaveLength(1);
        expect(errors[0]).toContain('KEYWARD_PUBLIC_URL is not set');
        return;
      }
      expect(errors).toEqual([]);
      const [message] = await store.database.db
        .selectFrom('email_messages')
        .select('sealed_secrets')
        .orderBy('id', 'desc')
        .execute();
      const { signInUrl } = JSON.parse(box.open(message?.sealed_secrets as string)) as { signInUrl: string };
      const token = signInUrl.split('#')[1] as string;
      const redeemed = await app.inject({ method: 'POST', url: '/portal/api/sessions', payload: { token } });
      expect(redeemed.statusCode).toBe(200);
      const cookie = String([redeemed.headers['set-cookie']].flat()[0]).split(';')[0] as string;
      const listed = await app.inject({ method: 'GET', url: '/portal/api/licenses', headers: { cookie } });
      expect(listed.statusCode).toBe(200);
      const log = lines.join('\n');
      expect(log).not.toContain(token);
      expect(log).not.toContain(cookie.split('=')[1]);
      expect(log).not.toContain(signInUrl);
    },
  );
});
