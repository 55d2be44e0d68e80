import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorPrincipal } from '../core/access/principal.js';
import type { Keyward } from '../core/keyward.js';
import { collectFailedRequests, hasChromium, launchChromium } from '../test-support/browser.js';
import { hmacPaymentAdapter, hmacSignature } from '../test-support/hmac-payment-adapter.js';
import { startListeningApp } from '../test-support/listening-app.js';

/**
 * The Payments page in a real browser (Debian's Chromium, headless) against the HTTP application listening on a
 * port, reached as http://shop.keyward.test (not localhost, plain HTTP): connect a provider, map a price to a
 * policy, paste-ready webhook URL, then a signed purchase sent to that URL shows as an applied event that names
 * the license it made; and a connection made before the provider showed its secret, which refuses deliveries
 * until the vendor sets the secret in its dialog.
 */

const ADMIN_TOKEN = 'kw_payments_browser_admin_token_0123456789';
const EMAIL = 'seller@example.com';
const PASSWORD = 'seller password 123';
const HOST_NAME = 'shop.keyward.test';
const WEBHOOK_SECRET = 'whsec_browser_secret_QrSt';
const operator = { tokenId: null, ip: null, via: 'test', principal: operatorPrincipal };

describe.skipIf(!hasChromium)('the Payments page in a browser', () => {
  let keyward: Keyward;
  let dispose: () => Promise<void>;
  let base: string;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const failedRequests: string[] = [];
  let studioId: number;

  const nav = (label: string) =>
    page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true }).click();
  const status = (text: string | RegExp) =>
    page.getByRole('status').filter({ hasText: text }).first().waitFor();
  const card = () => page.getByRole('listitem', { name: 'Connection Stripe (live)' });

  beforeAll(async () => {
    ({
      keyward,
      base,
      stop: dispose,
    } = await startListeningApp({
      dirPrefix: 'keyward-payments-',
      adminToken: ADMIN_TOKEN,
      user: { email: EMAIL, password: PASSWORD, role: 'admin' },
      hostName: HOST_NAME,
      app: { paymentAdapters: { stripe: hmacPaymentAdapter } },
    }));
    const product = await keyward.catalog.createProduct(operator, { name: 'Sketcher' });
    await keyward.catalog.createPolicy(operator, { productId: product.id, name: 'Basic' });
    studioId = (await keyward.catalog.createPolicy(operator, { productId: product.id, name: 'Studio' })).id;

    browser = await launchChromium(HOST_NAME);
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('dialog', (dialog) => void dialog.accept());
    collectFailedRequests(page, failedRequests);
    await page.goto(base);
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await dispose?.();
  });

  it('connects a provider and shows the webhook URL to paste, without the secret', async () => {
    await nav('Payments');
    await page.getByRole('heading', { name: 'Payments', level: 1 }).waitFor();
    await page.getByText('No payment provider connected').waitFor();
    await page.getByLabel('Provider', { exact: true }).selectOption('stripe');
    await page.getByLabel('Name', { exact: true }).fill('Stripe (live)');
    await page.getByLabel('Webhook signing secret').fill(WEBHOOK_SECRET);
    await page.getByLabel('On a refund or chargeback').selectOption('revoke');
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await status('Stripe (live) connected.');
    const [connection] =
      (await keyward.paymentConnections.list(operatorPrincipal, { after: null, limit: 10 })) ?? [];
    expect(connection).toMatchObject({ name: 'Stripe (live)', refundAction: 'revoke' });
    await card().getByText(`${base}/payments/webhooks/${connection?.id}`).waitFor();
    await card().getByText('Secret …QrSt').waitFor();
    expect(await page.content()).not.toContain(WEBHOOK_SECRET);
    // The form is ready for the next connection.
    expect(await page.getByLabel('Webhook signing secret').inputValue()).toBe('');
  });

  it('maps a price to a policy with seats per unit', async () => {
    await card().getByRole('button', { name: 'Edit the mapping of Stripe (live)' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit mapping' });
    await dialog.getByRole('button', { name: 'Add an item' }).click();
    await dialog.getByLabel('Price id (price_…)').fill('price_studio');
    await dialog.getByLabel('Policy').selectOption({ label: `Studio (#${studioId})` });
    await dialog.getByLabel('Seats per unit').fill('3');
    await dialog.getByRole('button', { name: 'Save mapping' }).click();
    await status('Mapping of Stripe (live) saved.');
    await card().getByText('→ Studio, 3 seats per unit').waitFor();
  });

  it('shows a signed purchase sent to that URL as an applied event naming its license', async () => {
    const url = (await card().locator('code.mono').first().textContent()) ?? '';
    expect(url).toMatch(/^http:\/\/shop\.keyward\.test:\d+\/payments\/webhooks\/\d+$/);
    const body = JSON.stringify({
      id: 'evt_browser_1',
      type: 'checkout.session.completed',
      created: Math.floor(Date.now() / 1000),
      email: 'buyer@example.com',
      price: 'price_studio',
    });
    // Sent to the address the page shows, as the provider would (the name resolved here to this machine).
    const response = await fetch(url.replace(HOST_NAME, '127.0.0.1'), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-test-signature': hmacSignature(body, new Date(), WEBHOOK_SECRET),
      },
      body,
    });
    expect(response.status).toBe(200);
    const forged = await fetch(url.replace(HOST_NAME, '127.0.0.1'), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-test-signature': hmacSignature(body, new Date(), 'whsec_wrong_one'),
      },
      body,
    });
    expect(forged.status).toBe(400);

    // The events opened when the connection was made, before any arrived.
    await card().getByText('No events yet').waitFor();
    await card().getByRole('button', { name: 'Refresh events' }).click();
    const row = card().getByRole('row').filter({ hasText: 'checkout.session.completed' });
    await row.waitFor();
    expect(await row.textContent()).toMatch(
      /applied.*created license \d+ \(Studio, 6 seats\) for buyer@example\.com/,
    );
    expect(await card().getByRole('row').count()).toBe(2);
    await row.getByRole('link').click();
    await page.waitForURL(/\/licenses\/\d+$/);
    await page.getByText('buyer@example.com').first().waitFor();
  });

  it('shows a read-only user the connections and their events, with nothing to change', async () => {
    await keyward.dashboardAuth.createUser(operator, {
      email: 'reader@example.com',
      password: 'reader password 123',
      role: 'read-only',
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const reader = await context.newPage();
    reader.on('pageerror', (error) => pageErrors.push(error.message));
    await reader.goto(base);
    await reader.getByLabel('Email').fill('reader@example.com');
    await reader.getByLabel('Password').fill('reader password 123');
    await reader.getByRole('button', { name: 'Sign in' }).click();
    await reader.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    await reader
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Payments', exact: true })
      .click();
    const connection = reader.getByRole('listitem', { name: 'Connection Stripe (live)' });
    await connection.getByRole('button', { name: 'Show events' }).click();
    await connection.getByRole('row').filter({ hasText: 'checkout.session.completed' }).waitFor();
    expect(await reader.getByRole('heading', { name: 'Connect a payment provider' }).count()).toBe(0);
    expect(await connection.getByRole('button', { name: /Edit the mapping|Disconnect/ }).count()).toBe(0);
    await context.close();
  });

  it('disconnects the provider', async () => {
    await nav('Payments');
    await card().getByRole('button', { name: 'Disconnect Stripe (live)' }).click();
    await status('Stripe (live) disconnected.');
    await page.getByText('No payment provider connected').waitFor();
    expect(pageErrors).toEqual([]);
    expect(failedRequests).toEqual([]);
  });

  it('connects before the provider shows the secret, refuses deliveries until it is set, then applies the retry', async () => {
    const testCard = () => page.getByRole('listitem', { name: 'Connection Stripe (test)' });
    await page.getByLabel('Provider', { exact: true }).selectOption('stripe');
    await page.getByLabel('Name', { exact: true }).fill('Stripe (test)');
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await status(/Stripe \(test\) connected\. Create the endpoint at Stripe with its webhook URL/);
    await testCard().getByRole('note', { name: 'Webhook secret of Stripe (test)' }).waitFor();
    expect(await testCard().getByRole('note').textContent()).toMatch(/^Webhook secret: not set\./);
    const url = (await testCard().locator('code.mono').first().textContent()) ?? '';
    const id = Number(url.split('/').pop());
    await keyward.paymentConnections.update(operator, id, {
      mappings: [{ providerItemId: 'price_studio', policyId: studioId, seatsPerUnit: 1 }],
    });

    const body = JSON.stringify({
      id: 'evt_browser_early',
      type: 'checkout.session.completed',
      created: Math.floor(Date.now() / 1000),
      email: 'early@example.com',
      price: 'price_studio',
    });
    const deliver = () =>
      fetch(url.replace(HOST_NAME, '127.0.0.1'), {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-test-signature': hmacSignature(body, new Date(), WEBHOOK_SECRET),
        },
        body,
      });
    const early = await deliver();
    expect(early.status).toBe(503);
    expect(((await early.json()) as { error: { message: string } }).error.message).toMatch(
      /has no webhook secret yet/,
    );

    await testCard().getByRole('button', { name: 'Set the webhook secret of Stripe (test)' }).click();
    const dialog = page.getByRole('dialog', { name: 'Webhook secret' });
    await dialog.getByText(url).waitFor();
    await dialog.getByLabel('Webhook signing secret').fill(WEBHOOK_SECRET);
    await dialog.getByRole('button', { name: 'Save secret' }).click();
    await status('Webhook secret of Stripe (test) saved.');
    await testCard().getByText('Secret …QrSt').waitFor();
    expect(await testCard().getByRole('note').count()).toBe(0);
    expect(await page.content()).not.toContain(WEBHOOK_SECRET);

    // The provider's retry of the same event.
    expect((await deliver()).status).toBe(200);
    // Opened when it was connected, empty then; the retry shows once refreshed.
    await testCard().getByText('No events yet').waitFor();
    await testCard().getByRole('button', { name: 'Refresh events' }).click();
    const row = testCard().getByRole('row').filter({ hasText: 'checkout.session.completed' });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/applied.*for early@example\.com/);

    await testCard().getByRole('button', { name: 'Disconnect Stripe (test)' }).click();
    await status('Stripe (test) disconnected.');
    expect(pageErrors).toEqual([]);
    expect(failedRequests).toEqual([]);
  });
});
