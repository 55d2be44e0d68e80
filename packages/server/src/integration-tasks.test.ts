import { describe, expect, it } from 'vitest';
import { operatorPrincipal } from './core/access/principal.js';
import { startIntegrationTasks } from './integration-tasks.js';
import { startSmtpTestServer } from './test-support/smtp-test-server.js';
import { createTestApp } from './test-support/test-app.js';

const actor = { tokenId: null, ip: null, via: 'test', principal: operatorPrincipal };

describe("a server process's background work", () => {
  it('sends the email an expiry notice queued, through the SMTP server, on its own', async () => {
    const t = await createTestApp('sqlite', { allowPrivateDestinations: true });
    const smtp = await startSmtpTestServer();
    const errors: unknown[] = [];
    const tasks = startIntegrationTasks(t.keyward, (error) => errors.push(error));
    try {
      await t.keyward.email.saveSettings(actor, {
        host: smtp.host,
        port: smtp.port,
        security: 'none',
        fromName: 'Editor',
        fromAddress: 'sales@editor.test',
      });
      const product = await t.keyward.catalog.createProduct(actor, { name: 'Editor' });
      const policy = await t.keyward.catalog.createPolicy(actor, { productId: product.id, name: 'Yearly' });
      const license = await t.keyward.licenses.create(actor, policy.id, {
        email: 'buyer@customer.test',
        expiresAt: new Date(t.clock.now().getTime() + 3 * 86_400_000),
      });
      await t.keyward.expiryNotices.sweep();
      // Nothing but the running tasks sends it.
      const [arrived] = await smtp.waitForMessages(1, 15_000);
      expect(arrived?.parsed.subject).toBe('Your Editor license expires soon');
      expect(arrived?.parsed.text).toContain(license.key);
      expect(arrived?.envelope.to).toEqual(['buyer@customer.test']);
      expect(errors).toEqual([]);
    } finally {
      await tasks.stop();
      await smtp.stop();
      await t.dispose();
    }
  });
});
