import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { emailDelivery } from '../../http/email-delivery.js';
import { createStore } from '../../storage/create-store.js';
import { createLicense, productWithPolicy } from '../../test-support/native-calls.js';
import { type SmtpTestServer, startSmtpTestServer } from '../../test-support/smtp-test-server.js';
import { createTestApp, type TestApp } from '../../test-support/test-app.js';
import { createPostgresSchemaUrl, testDialects } from '../../test-support/test-store.js';
import { operatorPrincipal } from '../access/principal.js';
import { manualClock } from '../clock.js';
import { createKeyward } from '../keyward.js';
import { SecretBox } from '../signing/secrets.js';
import { NOT_SET_UP } from './email-dispatcher.js';
import type { QueuedEmail } from './email-ports.js';

const actor = { tokenId: null, ip: null, via: 'test', principal: operatorPrincipal };
// The test app's secret: what core seals, the dispatcher opens.
const secretBox = new SecretBox('test-secret-that-is-long-enough-0123456789');

const smtpSettings = (server: SmtpTestServer) => ({
  host: server.host,
  port: server.port,
  security: 'none' as const,
  fromName: 'Acme Software',
  fromAddress: 'sales@acme.test',
  replyTo: 'help@acme.test',
});

const queued = (overrides: Partial<QueuedEmail> = {}): QueuedEmail => ({
  kind: 'license_delivered',
  to: 'buyer@customer.test',
  productId: null,
  licenseId: null,
  customerId: null,
  variables: { licenseKey: 'AAAA-BBBB', productName: 'Editor', customerName: 'Ann' },
  sealedSecrets: null,
  ...overrides,
});

for (const dialect of await testDialects()) {
  describe(`email dispatcher (${dialect})`, () => {
    let t: TestApp;
    let smtp: SmtpTestServer | null = null;
    beforeAll(async () => {
      t = await createTestApp(dialect, { allowPrivateDestinations: true });
    });
    afterAll(() => t.dispose());
    afterEach(async () => {
      await smtp?.stop();
      smtp = null;
    });

    const enqueue = (email: QueuedEmail) =>
      t.store.transaction((tx) => tx.emailOutbox.enqueue(email, t.clock.now()));
    const deliver = () => t.keyward.email.createDispatcher({ timeoutMs: 5000 }).deliverDue();
    const message = async (id: number) => {
      const found = await t.store.emailOutbox.findById(id);
      if (!found) throw new Error(`message ${id} is gone`);
      return found;
    };

    it('delivers text and HTML from the product template, with the secret only in the mail', async () => {
      smtp = await startSmtpTestServer();
      await t.keyward.email.saveSettings(actor, smtpSettings(smtp));
      const { product, policy } = await productWithPolicy(t);
      const license = await createLicense(t, policy.id, { email: 'ann@customer.test' });
      await t.keyward.email.saveTemplate(actor, 'license_delivered', product.id, {
        fromName: 'Editor Team',
        fromAddress: 'editor@acme.test',
        subject: 'Your {{productName}} key',
        textBody: 'Hi {{customerName}}, key {{licenseKey}}.{{#expiresAt}} Ends {{expiresAt}}.{{/expiresAt}}',
        htmlBody: '<p>Hi {{customerName}}, key <b>{{licenseKey}}</b>.</p>',
      });
      const delivered = await enqueue(
        queued({
          productId: product.id,
          licenseId: license.id,
          variables: { licenseKey: license.key, productName: 'Editor', customerName: 'Ann <& Co>' },
        }),
      );
      const signInUrl = 'https://licenses.acme.test/portal/sign-in?token=s3cr3t-0123456789';
      const signIn = await enqueue(
        queued({
          kind: 'portal_sign_in',
          productId: product.id,
          variables: { customerName: 'Ann', expiresInMinutes: '15' },
          sealedSecrets: secretBox.seal(JSON.stringify({ signInUrl })),
        }),
      );
      expect(await deliver()).toBe(2);
      const [first, second] = await smtp.waitForMessages(2);
      const byId = [first, second].sort((a, b) =>
        (a?.parsed.subject ?? '').localeCompare(b?.parsed.subject ?? ''),
      );
      const [keyMail, signInMail] = byId as [NonNullable<typeof first>, NonNullable<typeof first>];
      expect(keyMail.parsed.subject).toBe('Your Editor key');
      expect(keyMail.parsed.from?.value).toEqual([{ name: 'Editor Team', address: 'editor@acme.test' }]);
      expect(keyMail.parsed.replyTo?.text).toBe('help@acme.test');
      expect(keyMail.envelope.to).toEqual(['buyer@customer.test']);
      // Escaped in HTML only; an empty value leaves its section out.
      expect(keyMail.parsed.text?.trim()).toBe(`Hi Ann <& Co>, key ${license.key}.`);
      expect(keyMail.parsed.html).toContain(`<p>Hi Ann &lt;&amp; Co&gt;, key <b>${license.key}</b>.</p>`);
      // No template of its own for sign-in: the built-in one, from the account's sender.
      expect(signInMail.parsed.subject).toBe('Your sign-in link');
      expect(signInMail.parsed.from?.value).toEqual([{ name: 'Acme Software', address: 'sales@acme.test' }]);
      expect(signInMail.parsed.text).toContain(signInUrl);
      expect(signInMail.parsed.html).toContain(`href="${signInUrl}"`);
      expect((await message(delivered.id)).status).toBe('sent');
      const sent = await message(signIn.id);
      expect(sent).toMatchObject({ status: 'sent', sealedSecrets: null, attemptCount: 1 });
      // Nowhere in the outbox row: not in its variables, subject or error.
      const rows = await t.store.emailOutbox.list({
        status: null,
        licenseId: null,
        before: null,
        limit: 100,
      });
      expect(JSON.stringify(rows)).not.toContain('s3cr3t');
      // Sent once: a second run finds nothing due.
      expect(await deliver()).toBe(0);
    });

    it('tries again after a 4xx and sends; gives up on a 5xx at once', async () => {
      smtp = await startSmtpTestServer({
        failures: [{ code: 451, message: '4.3.0 Mailbox busy, try later' }],
      });
      await t.keyward.email.saveSettings(actor, smtpSettings(smtp));
      const retried = await enqueue(queued({ to: 'retry@customer.test' }));
      await deliver();
      const afterFirst = await message(retried.id);
      expect(afterFirst).toMatchObject({ status: 'pending', attemptCount: 1 });
      expect(afterFirst.lastError).toContain('Mailbox busy');
      expect(afterFirst.nextAttemptAt.getTime() - t.clock.now().getTime()).toBeGreaterThanOrEqual(30_000);
      expect(await deliver()).toBe(0);
      t.clock.advance(34);
      await deliver();
      expect(await message(retried.id)).toMatchObject({ status: 'sent', attemptCount: 2, lastError: null });
      expect((await smtp.waitForMessages(1)).map((m) => m.envelope.to[0])).toEqual(['retry@customer.test']);
      await smtp.stop();

      smtp = await startSmtpTestServer({ failAlways: { code: 550, message: '5.1.1 No such user here' } });
      await t.keyward.email.saveSettings(actor, smtpSettings(smtp));
      const refused = await enqueue(queued({ sealedSecrets: secretBox.seal(JSON.stringify({ x: 'y' })) }));
      await deliver();
      const failed = await message(refused.id);
      expect(failed).toMatchObject({ status: 'failed', attemptCount: 1, sealedSecrets: null });
      expect(failed.lastError).toContain('No such user here');
    });

    it('gives up after a day of 4xx answers, keeping the last error', async () => {
      smtp = await startSmtpTestServer({ failAlways: { code: 421, message: '4.7.0 Too busy' } });
      await t.keyward.email.saveSettings(actor, smtpSettings(smtp));
      const busy = await enqueue(queued({ sealedSecrets: secretBox.seal(JSON.stringify({ x: 'y' })) }));
      const start = t.clock.now().getTime();
      for (let i = 0; i < 40 && (await message(busy.id)).status === 'pending'; i++) {
        await deliver();
        const next = (await message(busy.id)).nextAttemptAt.getTime();
        t.clock.set(new Date(Math.max(next, t.clock.now().getTime()) + 1000));
      }
      const given = await message(busy.id);
      expect(given.status).toBe('failed');
      expect(given.lastError).toContain('Too busy');
      expect(given.sealedSecrets).toBeNull();
      expect(given.attemptCount).toBeGreaterThan(5);
      expect(t.clock.now().getTime() - start).toBeLessThanOrEqual(24 * 3600_000 + 2000);
      expect(await smtp.messages()).toHaveLength(0);
    });

    it("keeps a secret a vendor's subject names out of the outbox", async () => {
      smtp = await startSmtpTestServer();
      await t.keyward.email.saveSettings(actor, smtpSettings(smtp));
      await t.keyward.email.saveTemplate(actor, 'portal_sign_in', null, {
        subject: 'Sign in: {{signInUrl}}',
        textBody: '{{signInUrl}}',
        htmlBody: '<a href="{{signInUrl}}">Sign in</a>',
      });
      try {
        const url = 'https://portal.acme.test/in?token=hush-0123';
        const signIn = await enqueue(
          queued({
            kind: 'portal_sign_in',
            sealedSecrets: secretBox.seal(JSON.stringify({ signInUrl: url })),
          }),
        );
        await deliver();
        const [arrived] = await smtp.waitForMessages(1);
        expect(arrived?.parsed.subject).toBe(`Sign in: ${url}`);
        expect(await message(signIn.id)).toMatchObject({
          status: 'sent',
          subject: 'Sign in: [hidden]',
          sealedSecrets: null,
        });
      } finally {
        await t.keyward.email.resetTemplate(actor, 'portal_sign_in', null);
      }
    });

    it('leaves a message another dispatcher holds until its lease runs out', async () => {
      smtp = await startSmtpTestServer();
      await t.keyward.email.saveSettings(actor, smtpSettings(smtp));
      const held = await enqueue(queued({ to: 'held@customer.test' }));
      const now = t.clock.now();
      const taken = await t.store.transaction((tx) =>
        tx.emailOutbox.claimDue({
          now,
          owner: 'crashed',
          leaseUntil: new Date(now.getTime() + 75_000),
          limit: 10,
        }),
      );
      expect(taken.map((m) => m.id)).toEqual([held.id]);
      expect(await deliver()).toBe(0);
      // The process holding it died: once its lease runs out, another one sends it.
      t.clock.advance(76);
      expect(await deliver()).toBe(1);
      expect((await smtp.waitForMessages(1)).map((m) => m.envelope.to[0])).toEqual(['held@customer.test']);
      // The crashed owner can no longer record an outcome for it.
      const late = {
        status: 'failed' as const,
        nextAttemptAt: now,
        isAttempt: true,
        lastError: 'late',
        subject: null,
        sentAt: null,
        clearSecrets: true,
      };
      expect(
        await t.store.emailOutbox.completeAttempt({ id: held.id, owner: 'crashed', outcome: late }),
      ).toBe(false);
      expect(await message(held.id)).toMatchObject({ status: 'sent', lastError: null });
    });

    it('marks a disabled kind failed, and its secrets dropped', async () => {
      smtp = await startSmtpTestServer();
      await t.keyward.email.saveSettings(actor, {
        ...smtpSettings(smtp),
        enabledKinds: ['license_delivered'],
      });
      const off = await enqueue(
        queued({ kind: 'license_expired', sealedSecrets: secretBox.seal(JSON.stringify({ x: 'y' })) }),
      );
      await deliver();
      const failed = await message(off.id);
      expect(failed).toMatchObject({ status: 'failed', attemptCount: 0, sealedSecrets: null });
      expect(failed.lastError).toContain('disabled');
      expect(await smtp.messages()).toHaveLength(0);
    });
  });
}

describe('email before the SMTP setup', async () => {
  for (const dialect of await testDialects()) {
    it(`waits, pending, saying why (${dialect})`, async () => {
      const t = await createTestApp(dialect, { allowPrivateDestinations: true });
      try {
        const waiting = await t.store.transaction((tx) => tx.emailOutbox.enqueue(queued(), t.clock.now()));
        await t.keyward.email.createDispatcher().deliverDue();
        const found = await t.store.emailOutbox.findById(waiting.id);
        expect(found).toMatchObject({ status: 'pending', attemptCount: 0, lastError: NOT_SET_UP });
        // Later set up: it goes out.
        const smtp = await startSmtpTestServer();
        try {
          await t.keyward.email.saveSettings(actor, smtpSettings(smtp));
          t.clock.advance(61);
          await t.keyward.email.createDispatcher().deliverDue();
          expect(await smtp.waitForMessages(1)).toHaveLength(1);
          expect((await t.store.emailOutbox.findById(waiting.id))?.status).toBe('sent');
        } finally {
          await smtp.stop();
        }
      } finally {
        await t.dispose();
      }
    });
  }
});

describe('email dispatchers racing', async () => {
  const dialects = await testDialects();
  it.runIf(dialects.includes('postgres'))(
    'send each message once from separate pools (PostgreSQL, SKIP LOCKED)',
    async () => {
      const { url, drop } = await createPostgresSchemaUrl();
      const stores = [0, 1, 2].map(() => createStore({ kind: 'postgres', url }, { poolSize: 3 }));
      const smtp = await startSmtpTestServer();
      try {
        await (stores[0] as (typeof stores)[0]).migrate();
        const clock = manualClock(new Date('2030-01-01T00:00:00Z'));
        const keywards = stores.map((store) =>
          createKeyward({
            store,
            clock,
            secretBox,
            onBackgroundError: (e) => {
              throw e;
            },
            destinations: { allowPrivate: 'all' },
            email: emailDelivery({ allowPrivate: 'all' }),
          }),
        );
        const [k] = keywards as [(typeof keywards)[0]];
        await k.email.saveSettings(actor, smtpSettings(smtp));
        const store = stores[0] as (typeof stores)[0];
        for (let i = 0; i < 40; i++)
          await store.transaction((tx) =>
            tx.emailOutbox.enqueue(queued({ to: `c${i}@x.test` }), clock.now()),
          );
        const dispatchers = keywards.map((kw) => kw.email.createDispatcher({ batch: 3 }));
        await Promise.all(dispatchers.map((d) => d.deliverDue()));
        const arrived = await smtp.waitForMessages(40);
        await new Promise((done) => setTimeout(done, 300));
        expect(await smtp.messages()).toHaveLength(40);
        expect(new Set(arrived.map((m) => m.envelope.to[0])).size).toBe(40);
      } finally {
        await smtp.stop();
        await Promise.all(stores.map((s) => s.close()));
        await drop();
      }
    },
  );

  it('send each message once from two dispatchers on one database (SQLite)', async () => {
    const t = await createTestApp('sqlite', { allowPrivateDestinations: true });
    const smtp = await startSmtpTestServer();
    try {
      await t.keyward.email.saveSettings(actor, smtpSettings(smtp));
      for (let i = 0; i < 20; i++)
        await t.store.transaction((tx) =>
          tx.emailOutbox.enqueue(queued({ to: `s${i}@x.test` }), t.clock.now()),
        );
      const dispatchers = [0, 1].map(() => t.keyward.email.createDispatcher({ batch: 3 }));
      await Promise.all(dispatchers.map((d) => d.deliverDue()));
      await smtp.waitForMessages(20);
      await new Promise((done) => setTimeout(done, 300));
      const arrived = await smtp.messages();
      expect(arrived).toHaveLength(20);
      expect(new Set(arrived.map((m) => m.envelope.to[0])).size).toBe(20);
    } finally {
      await smtp.stop();
      await t.dispose();
    }
  });
});
