import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorPrincipal } from '../core/access/principal.js';
import { systemClock } from '../core/clock.js';
import type { Keyward } from '../core/keyward.js';
import { collectFailedRequests, hasChromium, launchChromium } from '../test-support/browser.js';
import { startListeningApp } from '../test-support/listening-app.js';
import { type SmtpTestServer, startSmtpTestServer } from '../test-support/smtp-test-server.js';
import { emailDelivery } from './email-delivery.js';

/**
 * The Email page in a real browser (Debian's Chromium, headless) against the HTTP application on a port,
 * reached as http://keyward.test (not localhost), sending through a real SMTP server process on loopback:
 * the SMTP settings, a test email, a product's template edited (and one that does not parse refused), the
 * outbox with a sent and a failed message, retrying the failed one, and resetting the template.
 */

const ADMIN_TOKEN = 'kw_email_browser_admin_token_0123456789';
const EMAIL = 'mailer@example.com';
const PASSWORD = 'mailer password 123';
const HOST_NAME = 'keyward.test';
const operator = { tokenId: null, ip: null, via: 'test', principal: operatorPrincipal };

describe.skipIf(!hasChromium)('the Email page of the dashboard', () => {
  let keyward: Keyward;
  let smtp: SmtpTestServer;
  let dispose: () => Promise<void>;
  let base: string;
  let browser: Browser;
  let page: Page;
  let enqueue: (kind: 'license_delivered' | 'license_expired', to: string) => Promise<void>;
  let licenseKey: string;
  const pageErrors: string[] = [];
  const failedRequests: string[] = [];

  const status = (text: string | RegExp) =>
    page.getByRole('status').filter({ hasText: text }).first().waitFor();
  const alert = (text: string | RegExp) =>
    page.getByRole('alert').filter({ hasText: text }).first().waitFor();
  const deliver = () => keyward.email.createDispatcher({ timeoutMs: 5000 }).deliverDue();
  const outbox = () => page.getByRole('region', { name: 'Outbox' });
  const settings = () => page.getByRole('form', { name: 'SMTP settings' });

  beforeAll(async () => {
    smtp = await startSmtpTestServer();

    const listening = await startListeningApp({
      dirPrefix: 'keyward-email-',
      adminToken: ADMIN_TOKEN,
      user: { email: EMAIL, password: PASSWORD, role: 'admin' },
      hostName: HOST_NAME,
      // The SMTP server listens on loopback, which the operator has to allow.
      keyward: { destinations: { allowPrivate: 'all' }, email: emailDelivery({ allowPrivate: 'all' }) },
    });
    ({ keyward, base, stop: dispose } = listening);
    const { store } = listening;

    const product = await keyward.catalog.createProduct(operator, { name: 'Editor' });
    const policy = await keyward.catalog.createPolicy(operator, { productId: product.id, name: 'Standard' });
    const license = await keyward.licenses.create(operator, policy.id, { email: 'buyer@example.net' });
    licenseKey = license.key;
    enqueue = async (kind, to) => {
      await store.transaction((tx) =>
        tx.emailOutbox.enqueue(
          {
            kind,
            to,
            productId: product.id,
            licenseId: license.id,
            customerId: null,
            variables: { licenseKey: license.key, productName: 'Editor' },
            sealedSecrets: null,
          },
          systemClock.now(),
        ),
      );
    };

    browser = await launchChromium(HOST_NAME);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    collectFailedRequests(page, failedRequests);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await dispose?.();
    await smtp?.stop();
  });

  it('signs in over plain HTTP under a name that is not localhost and opens the page', async () => {
    await page.goto(base);
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Email', exact: true })
      .click();
    await page.getByRole('heading', { name: 'Email', level: 1 }).waitFor();
    await page.getByText('Email is not set up yet').waitFor();
  });

  it('saves the SMTP settings without showing the password again', async () => {
    await settings().getByLabel('SMTP host').fill(smtp.host);
    await settings().getByLabel('Port', { exact: true }).fill(String(smtp.port));
    await settings().getByLabel('Security').selectOption('none');
    await settings().getByLabel('Sender name').fill('Editor Sales');
    await settings().getByLabel('Sender address').fill('sales@editor.test');
    await settings().getByLabel('Password').fill('not shown again');
    await settings().getByLabel('License expired').uncheck();
    await settings().getByRole('button', { name: 'Save settings' }).click();
    await status('Email settings saved.');
    await page.getByText('A password is saved; leave this empty to keep it.').waitFor();
    expect(await settings().getByLabel('Password').inputValue()).toBe('');
    const saved = await keyward.email.getSettings(operator);
    expect(saved).toMatchObject({ host: '127.0.0.1', hasPassword: true, fromName: 'Editor Sales' });
    expect(saved?.enabledKinds).not.toContain('license_expired');
  });

  it('sends a test email and shows that it went', async () => {
    await page.getByLabel('To', { exact: true }).fill('me@editor.test');
    await page.getByRole('button', { name: 'Send a test email' }).click();
    await status('Test email sent to me@editor.test.');
    const [arrived] = await smtp.waitForMessages(1);
    expect(arrived?.parsed.subject).toBe('Test email');
    expect(arrived?.parsed.from?.value).toEqual([{ name: 'Editor Sales', address: 'sales@editor.test' }]);
  });

  it("edits a product's template, refusing one that does not parse with the reason", async () => {
    const templates = page.getByRole('region', { name: 'Templates' });
    await templates.getByLabel('Templates of').selectOption({ label: 'Editor' });
    await templates.getByLabel('Message').selectOption({ label: 'License delivered' });
    await templates.getByText('In use: built in.').waitFor();
    await templates.getByLabel('Subject').fill('Your Editor key: {{licenseKey}}');
    await templates.getByLabel('Text body').fill('{{#licenseKey}} unclosed');
    await templates.getByRole('button', { name: 'Save template' }).click();
    await alert(/textBody is no valid template: Unclosed section "licenseKey"/);
    await templates.getByLabel('Text body').fill('Here it is: {{licenseKey}}');
    await templates.getByRole('button', { name: 'Save template' }).click();
    await status('Template “License delivered” saved for this product.');
    await templates.getByText("In use: this product's own.").waitFor();
  });

  it('lists the outbox with a sent and a failed message, and retries the failed one', async () => {
    await enqueue('license_delivered', 'buyer@example.net');
    await enqueue('license_expired', 'late@example.net');
    await deliver();
    await outbox().getByRole('button', { name: 'Refresh' }).click();
    const sentRow = outbox().getByRole('row').filter({ hasText: 'buyer@example.net' });
    await sentRow
      .filter({ hasText: `Your Editor key: ${licenseKey}` })
      .filter({ hasText: 'sent' })
      .waitFor();
    const failedRow = outbox().getByRole('row').filter({ hasText: 'late@example.net' });
    await failedRow.filter({ hasText: 'license_expired emails are disabled' }).waitFor();
    const [, keyMail] = await smtp.waitForMessages(2);
    expect(keyMail?.parsed.subject).toBe(`Your Editor key: ${licenseKey}`);
    expect(keyMail?.parsed.text?.trim()).toBe(`Here it is: ${licenseKey}`);
    // Enabled again, the failed one goes out on retry.
    await settings().getByLabel('License expired').check();
    await settings().getByRole('button', { name: 'Save settings' }).click();
    // The note of the first save may still show: the settings themselves say when this one is done.
    await expect
      .poll(async () => (await keyward.email.getSettings(operator))?.enabledKinds)
      .toContain('license_expired');
    await failedRow.getByRole('button', { name: /Retry message/ }).click();
    await status(/will be sent again now/);
    await deliver();
    await outbox().getByLabel('Status').selectOption('sent');
    await outbox()
      .getByRole('row')
      .filter({ hasText: 'late@example.net' })
      .filter({ hasText: 'sent' })
      .waitFor();
    expect(await smtp.waitForMessages(3)).toHaveLength(3);
  });

  it('resets the template to the default', async () => {
    const templates = page.getByRole('region', { name: 'Templates' });
    await templates.getByRole('button', { name: 'Reset to default' }).click();
    await status('Template “License delivered” reset.');
    await templates.getByText('In use: built in.').waitFor();
    expect(await templates.getByLabel('Subject').inputValue()).toBe('Your license for {{productName}}');
  });

  it('opens at its own address after a reload', async () => {
    await page.goto(`${base}/email`);
    await page.getByRole('heading', { name: 'Email', level: 1 }).waitFor();
    await settings().getByText('A password is saved; leave this empty to keep it.').waitFor();
    expect(pageErrors).toEqual([]);
    expect(failedRequests).toEqual([]);
  });
});
