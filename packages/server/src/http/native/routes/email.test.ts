import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLicense,
  expectError,
  expectStatus,
  get,
  type Json,
  post,
  productWithPolicy,
} from '../../../test-support/native-calls.js';
import { describeRouteSecurity } from '../../../test-support/route-security.js';
import { type SmtpTestServer, startSmtpTestServer } from '../../../test-support/smtp-test-server.js';
import { createTestApp, type TestApp } from '../../../test-support/test-app.js';
import { testDialects } from '../../../test-support/test-store.js';

const put = (t: TestApp, url: string, payload: object, status = 200) =>
  expectStatus(t.call({ method: 'PUT', url, payload }), status);
const del = (t: TestApp, url: string, status = 200) =>
  expectStatus(t.call({ method: 'DELETE', url }), status);

for (const dialect of await testDialects()) {
  describe(`email routes (${dialect})`, () => {
    let t: TestApp;
    let smtp: SmtpTestServer;
    beforeAll(async () => {
      // The SMTP server listens on loopback, which the operator has to allow.
      t = await createTestApp(dialect, { allowPrivateDestinations: true });
      smtp = await startSmtpTestServer({ auth: { user: 'acme', pass: 'right-password' } });
    });
    afterAll(async () => {
      await smtp.stop();
      await t.dispose();
    });
    const settings = (changes: object = {}) => ({
      host: smtp.host,
      port: smtp.port,
      security: 'none',
      username: 'acme',
      password: 'right-password',
      fromName: 'Acme Software',
      fromAddress: 'sales@acme.test',
      ...changes,
    });

    it('refuses a test email before the setup, then saves settings without ever showing the password', async () => {
      await expectError(t.call({ method: 'GET', url: '/v1/email/settings' }), 404, 'NOT_FOUND');
      await expectError(
        t.call({ method: 'POST', url: '/v1/email/test', payload: { to: 'me@acme.test' } }),
        409,
        'CONFLICT',
      );
      const saved = await put(t, '/v1/email/settings', settings({ enabledKinds: ['license_delivered'] }));
      expect(saved).toMatchObject({
        host: '127.0.0.1',
        hasPassword: true,
        enabledKinds: ['license_delivered'],
      });
      expect(JSON.stringify(saved)).not.toContain('right-password');
      // Left out, the password is kept; the stored one is sealed.
      const { password: _, ...withoutPassword } = settings();
      expect(await put(t, '/v1/email/settings', withoutPassword)).toMatchObject({ hasPassword: true });
      const stored = await t.store.emailSettings.get();
      expect(stored?.sealedPassword).toMatch(/^v1\./);
      expect(JSON.stringify(stored)).not.toContain('right-password');
      expect(await get(t, '/v1/email/settings')).toMatchObject({ hasPassword: true, username: 'acme' });
    });

    it('refuses bad settings with a clear 400', async () => {
      for (const [changes, field] of [
        [{ fromAddress: 'not an address' }, 'fromAddress'],
        [{ port: 0 }, 'port'],
        [{ security: 'ssl' }, 'security'],
        [{ host: 'smtp.example.com\r\nRCPT' }, 'host'],
        [{ replyTo: 'nobody' }, 'replyTo'],
      ] as const) {
        const error = await expectError(
          t.call({ method: 'PUT', url: '/v1/email/settings', payload: settings(changes) }),
          400,
          'INVALID_INPUT',
        );
        expect(JSON.stringify(error), field).toContain(field);
      }
    });

    it('sends a test email, and reports what the SMTP server answered when it refuses', async () => {
      await put(t, '/v1/email/settings', settings());
      expect(await post(t, '/v1/email/test', { to: 'me@acme.test' }, 200)).toEqual({
        isSent: true,
        error: null,
      });
      const [arrived] = await smtp.waitForMessages(1);
      expect(arrived?.parsed.subject).toBe('Test email');
      expect(arrived?.envelope).toMatchObject({ to: ['me@acme.test'], user: 'acme' });
      await put(t, '/v1/email/settings', settings({ password: 'wrong-password' }));
      const refused = await post(t, '/v1/email/test', { to: 'me@acme.test' }, 200);
      expect(refused.isSent).toBe(false);
      expect(refused.error).toContain('Authentication credentials invalid');
      await put(t, '/v1/email/settings', settings());
      await expectError(
        t.call({
          method: 'POST',
          url: '/v1/email/test',
          payload: { to: 'me@acme.test', productId: 999_999 },
        }),
        404,
        'NOT_FOUND',
      );
    });

    it("edits a product's template over the account default, refuses one that does not parse, resets it", async () => {
      const { product } = await productWithPolicy(t);
      const builtIn = await get(t, `/v1/email/templates/license_delivered?productId=${product.id}`);
      expect(builtIn).toMatchObject({ source: 'built-in', productId: product.id, updatedAt: null });
      await put(t, '/v1/email/templates/license_delivered', {
        subject: 'Account: {{productName}}',
        textBody: 'a',
        htmlBody: 'a',
      });
      expect(await get(t, `/v1/email/templates/license_delivered?productId=${product.id}`)).toMatchObject({
        source: 'account',
        subject: 'Account: {{productName}}',
      });
      const own = await put(t, `/v1/email/templates/license_delivered?productId=${product.id}`, {
        fromName: 'Product Team',
        subject: 'Product: {{productName}}',
        textBody: 'Key {{licenseKey}}',
        htmlBody: '<b>{{licenseKey}}</b>',
      });
      expect(own).toMatchObject({ source: 'product', fromName: 'Product Team', fromAddress: null });
      const error = await expectError(
        t.call({
          method: 'PUT',
          url: `/v1/email/templates/license_delivered?productId=${product.id}`,
          payload: { subject: 'ok', textBody: 'Hi {{#customerName}} unclosed', htmlBody: '' },
        }),
        400,
        'INVALID_INPUT',
      );
      expect(error.message).toMatch(/textBody is no valid template: Unclosed section "customerName"/);
      const list = await get(t, `/v1/email/templates?productId=${product.id}`);
      expect(list.data.map((x: Json) => `${x.kind}:${x.source}`)).toContain('license_delivered:product');
      expect(list.data).toHaveLength(6);
      expect(await del(t, `/v1/email/templates/license_delivered?productId=${product.id}`)).toMatchObject({
        source: 'account',
      });
      expect(await del(t, '/v1/email/templates/license_delivered')).toMatchObject({ source: 'built-in' });
      await expectError(t.call({ method: 'GET', url: '/v1/email/templates/nonsense' }), 400, 'INVALID_INPUT');
      await expectError(
        t.call({ method: 'GET', url: '/v1/email/templates/test?productId=999999' }),
        404,
        'NOT_FOUND',
      );
    });

    it('lists the outbox by status and license, shows one, and retries a failed one', async () => {
      const { policy } = await productWithPolicy(t);
      const license = await createLicense(t, policy.id, { email: 'buyer@customer.test' });
      const queue = (kind: 'license_delivered' | 'license_expired') =>
        t.store.transaction((tx) =>
          tx.emailOutbox.enqueue(
            {
              kind,
              to: 'buyer@customer.test',
              productId: null,
              licenseId: license.id,
              customerId: null,
              variables: { licenseKey: license.key },
              sealedSecrets: null,
            },
            t.clock.now(),
          ),
        );
      await put(t, '/v1/email/settings', settings({ enabledKinds: ['license_delivered'] }));
      const sent = await queue('license_delivered');
      const disabled = await queue('license_expired');
      await t.keyward.email.createDispatcher().deliverDue();
      const all = await get(t, `/v1/email/messages?licenseId=${license.id}`);
      expect(all.data.map((m: Json) => [m.id, m.status])).toEqual([
        [disabled.id, 'failed'],
        [sent.id, 'sent'],
      ]);
      const failed = await get(t, `/v1/email/messages?status=failed&licenseId=${license.id}`);
      expect(failed.data.map((m: Json) => m.id)).toEqual([disabled.id]);
      const one = await get(t, `/v1/email/messages/${disabled.id}`);
      expect(one).toMatchObject({
        kind: 'license_expired',
        lastError: 'license_expired emails are disabled',
      });
      expect(one.variables).toEqual({ licenseKey: license.key });
      const paged = await get(t, `/v1/email/messages?licenseId=${license.id}&limit=1`);
      expect(paged.nextCursor).toBe(String(disabled.id));
      const rest = await get(
        t,
        `/v1/email/messages?licenseId=${license.id}&limit=1&after=${paged.nextCursor}`,
      );
      expect(rest.data.map((m: Json) => m.id)).toEqual([sent.id]);
      // Enabled again, the failed one goes out on retry; a sent one is not sent twice.
      await put(t, '/v1/email/settings', settings());
      expect(await post(t, `/v1/email/messages/${disabled.id}/retry`, {}, 200)).toMatchObject({
        status: 'pending',
      });
      await t.keyward.email.createDispatcher().deliverDue();
      expect((await get(t, `/v1/email/messages/${disabled.id}`)).status).toBe('sent');
      await expectError(
        t.call({ method: 'POST', url: `/v1/email/messages/${sent.id}/retry` }),
        409,
        'CONFLICT',
      );
      await expectError(t.call({ method: 'GET', url: '/v1/email/messages/999999' }), 404, 'NOT_FOUND');
      await expectError(
        t.call({ method: 'GET', url: '/v1/email/messages?status=lost' }),
        400,
        'INVALID_INPUT',
      );
    });
  });
}

describeRouteSecurity('email');
