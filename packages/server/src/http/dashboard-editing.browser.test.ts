import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookDispatcher } from '../core/events/webhook-dispatcher.js';
import type { Keyward } from '../core/keyward.js';
import { collectFailedRequests, hasChromium, launchChromium } from '../test-support/browser.js';
import { startListeningApp } from '../test-support/listening-app.js';
import type { App } from './fastify-context.js';
import { createOutboundHttp } from './outbound-http.js';
import { httpWebhookTransport } from './webhook-transport.js';

/**
 * Changing and removing things in the dashboard, in a real browser (Debian's Chromium, headless) against the
 * HTTP application on a port, reached as http://keyward.test (not localhost): a license's email, customer,
 * tags, policy, expiry and features; deleting a license after confirming; a customer's page; products and
 * policies refused deletion while licenses remain, with the reason shown; editing a webhook and sending it a
 * test event; the Create-keys dialog starting on the page's policy; forms that reset; messages that say what
 * happened; the pager's totals; and an address no page has.
 */

const ADMIN_TOKEN = 'kw_editing_browser_admin_token_0123456789';
const EMAIL = 'editor@example.com';
const PASSWORD = 'editor password 123';
const HOST_NAME = 'keyward.test';

// biome-ignore lint/suspicious/noExplicitAny: the test reads loosely typed JSON answers.
type Json = any;

describe.skipIf(!hasChromium)('editing in the dashboard', () => {
  let keyward: Keyward;
  let app: App;
  let dispose: () => Promise<void>;
  let base: string;
  let browser: Browser;
  let page: Page;
  let receiver: Server;
  let receiverUrl: string;
  const received: Array<{ headers: IncomingMessage['headers']; body: string }> = [];
  let dispatcher: WebhookDispatcher;
  const pageErrors: string[] = [];
  const failedRequests: string[] = [];
  const dialogs: string[] = [];
  let dismissNextDialog = false;
  let productId: number;
  let standardId: number;
  let basicId: number;
  let customerId: number;

  const api = async (method: string, path: string, body?: unknown): Promise<Json> => {
    const response = await app.inject({
      method: method as 'GET',
      url: `/v1${path}`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      ...(body ? { payload: body as object } : {}),
    });
    if (response.statusCode >= 400)
      throw new Error(`${method} ${path}: ${response.statusCode} ${response.body}`);
    return response.body ? response.json() : undefined;
  };
  const nav = (label: string) =>
    page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true }).click();
  const status = (text: string | RegExp) =>
    page.getByRole('status').filter({ hasText: text }).first().waitFor();
  const alert = (text: string | RegExp) =>
    page.getByRole('alert').filter({ hasText: text }).first().waitFor();
  const pager = () => page.getByRole('navigation', { name: 'Pages' }).getByRole('status');

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        received.push({ headers: request.headers, body });
        response.writeHead(200, { 'content-type': 'text/plain' }).end('thanks');
      });
    });
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/keyward`;

    const listening = await startListeningApp({
      dirPrefix: 'keyward-editing-',
      adminToken: ADMIN_TOKEN,
      user: { email: EMAIL, password: PASSWORD, role: 'admin' },
      hostName: HOST_NAME,
      // The receiver listens on loopback, which the operator has to allow.
      keyward: { destinations: { allowPrivate: 'all' } },
    });
    ({ keyward, app, base } = listening);
    dispatcher = keyward.webhooks.createDispatcher(
      httpWebhookTransport(createOutboundHttp(keyward.destinations)),
      {
        timeoutMs: 2000,
      },
    );
    dispose = async () => {
      await dispatcher.stop();
      await listening.stop();
    };

    const product = await api('POST', '/products', { name: 'Editor' });
    productId = product.id;
    standardId = (await api('POST', '/policies', { productId, name: 'Standard' })).id;
    basicId = (
      await api('POST', '/policies', {
        productId,
        name: 'Basic',
        featureFields: [
          { name: 'edition', type: 'string', defaultValue: 'home' },
          { name: 'seats', type: 'integer' },
          { name: 'export', type: 'boolean' },
        ],
      })
    ).id;
    customerId = (await api('POST', '/customers', { name: 'Grace Hopper', email: 'grace@example.com' })).id;
    await api('POST', '/licenses/batch', { policyId: standardId, count: 120 });
    await api('POST', '/licenses/batch', { policyId: basicId, count: 3 });

    browser = await launchChromium(HOST_NAME);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    // A wait that fails says what it waited for, well before the test's own timeout.
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    collectFailedRequests(page, failedRequests);
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      if (dismissNextDialog) {
        dismissNextDialog = false;
        void dialog.dismiss();
      } else void dialog.accept();
    });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await dispose?.();
    receiver?.closeAllConnections();
    await new Promise((done) => (receiver ? receiver.close(done) : done(undefined)));
  });

  it('signs in over plain HTTP under a name that is not localhost', async () => {
    await page.goto(base);
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    expect(failedRequests).toEqual([]);
  });

  it('shows where a page stands among all matching licenses', async () => {
    await nav('Licenses');
    await page.getByRole('table').waitFor();
    await pager().filter({ hasText: '1–50 of 123' }).waitFor();
    await page.getByRole('button', { name: 'Next' }).click();
    await pager().filter({ hasText: '51–100 of 123' }).waitFor();
    await page.getByRole('button', { name: 'Next' }).click();
    await pager().filter({ hasText: '101–123 of 123' }).waitFor();
    await page.getByRole('button', { name: 'Previous' }).click();
    await pager().filter({ hasText: '51–100 of 123' }).waitFor();
    // Survives a reload, and follows the filters.
    await page.reload();
    await pager().filter({ hasText: '51–100 of 123' }).waitFor();
    await page.getByLabel('Policy').selectOption(String(basicId));
    await pager().filter({ hasText: '1–3 of 3' }).waitFor();
  });

  it('opens Create keys on the policy of the page it came from, says what it made and resets', async () => {
    // From a product's page: the policy card's own button.
    await page.goto(`${base}/products/${productId}`);
    await page.getByRole('button', { name: 'Create keys under Basic' }).click();
    let dialog = page.getByRole('dialog', { name: 'Create keys' });
    expect(await dialog.getByLabel('Policy').inputValue()).toBe(String(basicId));
    await dialog.getByRole('button', { name: 'Close dialog' }).click();
    // From the licenses of a policy.
    await page.getByRole('link', { name: 'Licenses under this policy' }).nth(1).click();
    await page.waitForURL(`**/licenses?policyId=${basicId}`);
    await page.getByRole('button', { name: 'Create keys' }).click();
    dialog = page.getByRole('dialog', { name: 'Create keys' });
    expect(await dialog.getByLabel('Policy').inputValue()).toBe(String(basicId));
    await dialog.getByLabel('Number of keys').fill('4');
    await dialog.getByLabel('Email (optional)').fill('team@example.com');
    await dialog.getByRole('button', { name: 'Create keys' }).click();
    await dialog.getByText('4 keys created under Editor · Basic.').waitFor();
    // The form is ready for the next batch.
    expect(await dialog.getByLabel('Number of keys').inputValue()).toBe('10');
    expect(await dialog.getByLabel('Email (optional)').inputValue()).toBe('');
    await dialog.getByRole('button', { name: 'Close dialog' }).click();
    await pager().filter({ hasText: '1–7 of 7' }).waitFor();
    const made = await api('GET', `/licenses?policyId=${basicId}&email=team@example.com&withTotal=true`);
    expect(made.total).toBe(4);
  });

  it('edits a license’s email, customer, tags, policy, expiry and features', async () => {
    const license = (await api('GET', `/licenses?policyId=${standardId}&limit=1`)).data[0];
    await page.goto(`${base}/licenses/${license.id}`);
    await page.getByRole('heading', { name: license.key, level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit license' });
    await dialog.getByLabel('Email').fill('buyer@example.com');
    await dialog.getByLabel('Customer').selectOption(String(customerId));
    await dialog.getByLabel('Tags').fill('vip, beta');
    await dialog.getByLabel('Policy').selectOption(String(basicId));
    await dialog.getByLabel('Expires').fill('2031-05-04T12:30');
    // The new policy's feature fields appear, typed.
    await dialog.getByLabel('Feature seats').fill('5');
    await dialog.getByLabel('Feature export').selectOption('true');
    await dialog.getByRole('button', { name: 'Save license' }).click();
    await status('License saved: email, customer, tags, policy, expiry, features changed.');
    const saved = await api('GET', `/licenses/${license.id}`);
    expect(saved).toMatchObject({
      email: 'buyer@example.com',
      customerId,
      tags: ['vip', 'beta'],
      policyId: basicId,
      features: { seats: 5, export: true },
    });
    expect(new Date(saved.expiresAt).getTime()).toBe(new Date('2031-05-04T12:30').getTime());
    // The page shows the new state, the customer by name.
    await page.getByRole('link', { name: 'Grace Hopper' }).waitFor();
    await page.getByText('vip, beta').waitFor();
    // Opening the dialog again starts from the license as it is now.
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    expect(await dialog.getByLabel('Email').inputValue()).toBe('buyer@example.com');
    expect(await dialog.getByLabel('Feature seats').inputValue()).toBe('5');
    // Clearing a value removes it.
    await dialog.getByLabel('Email').fill('');
    await dialog.getByLabel('Feature seats').fill('');
    await dialog.getByRole('button', { name: 'Save license' }).click();
    await status('License saved: email, features changed.');
    const cleared = await api('GET', `/licenses/${license.id}`);
    expect(cleared.email).toBeNull();
    expect(cleared.features).toEqual({ export: true });
    // A refusal is shown in the dialog and changes nothing.
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    await dialog.getByLabel('Feature seats').fill('100000000000000000000');
    await dialog.getByRole('button', { name: 'Save license' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'feature "seats" expects a integer' }).waitFor();
    await dialog.getByRole('button', { name: 'Close dialog' }).click();
    expect((await api('GET', `/licenses/${license.id}`)).features).toEqual({ export: true });
  });

  it('says what an action did', async () => {
    await page.getByRole('button', { name: 'Suspend' }).click();
    await status('License suspended.');
    await page.getByRole('button', { name: 'Reinstate' }).click();
    await status('License reinstated.');
    expect(await page.getByText(/: done\./).count()).toBe(0);
  });

  it('deletes a license only after confirmation', async () => {
    const license = (await api('GET', `/licenses?policyId=${standardId}&limit=1`)).data[0];
    await page.goto(`${base}/licenses/${license.id}`);
    await page.getByRole('heading', { name: license.key, level: 1 }).waitFor();
    dismissNextDialog = true;
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    expect(dialogs.at(-1)).toContain(`Delete the license ${license.key} for good?`);
    expect((await api('GET', `/licenses/${license.id}`)).id).toBe(license.id);
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.waitForURL(`${base}/licenses`);
    await status(`License ${license.key} deleted.`);
    const gone = await app.inject({
      url: `/v1/licenses/${license.id}`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(gone.statusCode).toBe(404);
  });

  it('gives a customer a page to edit and delete them', async () => {
    await nav('Customers');
    // The form resets after adding, and says so.
    await page.getByLabel('Name', { exact: true }).fill('Ada Lovelace');
    await page.getByLabel('Email', { exact: true }).fill('ada@example.com');
    await page.getByRole('button', { name: 'Add customer' }).click();
    await status('Customer “Ada Lovelace” added.');
    expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('');
    await page.getByRole('link', { name: 'Grace Hopper' }).click();
    await page.getByRole('heading', { name: 'Grace Hopper', level: 1 }).waitFor();
    await page.getByText('grace@example.com').waitFor();
    // The license edited above is hers.
    await page.getByRole('table').getByRole('link').first().waitFor();
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit customer' });
    await dialog.getByLabel('Name').fill('Grace B. Hopper');
    await dialog.getByLabel('Company').fill('Navy');
    await dialog.getByRole('button', { name: 'Save customer' }).click();
    await status('Customer “Grace B. Hopper” saved.');
    expect(await api('GET', `/customers/${customerId}`)).toMatchObject({
      name: 'Grace B. Hopper',
      company: 'Navy',
      email: 'grace@example.com',
    });
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    expect(dialogs.at(-1)).toBe(
      'Delete the customer Grace B. Hopper? Their license stays, without a customer.',
    );
    await page.waitForURL(`${base}/customers`);
    await status('Customer “Grace B. Hopper” deleted.');
    expect((await api('GET', `/licenses?customerId=${customerId}&withTotal=true`)).total).toBe(0);
  });

  it('refuses to delete a product or policy that still has licenses, and says why', async () => {
    await page.goto(`${base}/products/${productId}`);
    await page.getByRole('heading', { name: 'Editor', level: 1 }).waitFor();
    // Each policy says how many licenses it holds.
    await page.getByText(/#\d+ · .* · 118 licenses/).waitFor();
    await page.getByRole('button', { name: 'Delete policy Standard' }).click();
    await alert(
      `The policy Standard was not deleted: policy ${standardId} still has 118 licenses; delete them or move them to another policy first`,
    );
    await page.getByRole('button', { name: 'Delete product' }).click();
    await alert(
      /^The product was not deleted: product \d+ is still unlocked by 126 licenses; delete the licenses/,
    );
    expect((await api('GET', `/policies/${standardId}`)).id).toBe(standardId);
    // An empty policy goes.
    await api('POST', '/policies', { productId, name: 'Unused' });
    await page.reload();
    await page.getByRole('button', { name: 'Delete policy Unused' }).click();
    await status('Policy “Unused” deleted.');
    // The list reloads after the status shows: wait for the heading to go rather than count it at once.
    await page.getByRole('heading', { name: 'Unused' }).waitFor({ state: 'detached' });
    // So does an empty product, back to the list.
    await nav('Products & policies');
    await page.getByLabel('Name', { exact: true }).fill('Scratch');
    await page.getByRole('button', { name: 'Create product' }).click();
    await status('Product “Scratch” created. Give it a policy next.');
    await page.getByRole('button', { name: 'Delete product' }).click();
    await page.waitForURL(`${base}/products`);
    await status('Product “Scratch” deleted.');
    await page.getByRole('link', { name: 'Scratch' }).waitFor({ state: 'detached' });
  });

  it('edits a webhook and sends it a test event', async () => {
    const hook = await api('POST', '/webhooks', { url: receiverUrl, eventTypes: ['license.deleted'] });
    await nav('Webhooks');
    await page.getByRole('heading', { name: receiverUrl }).waitFor();
    await page.getByRole('button', { name: `Edit endpoint ${receiverUrl}` }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit endpoint' });
    expect(await dialog.getByLabel('Events').inputValue()).toBe('license.deleted');
    await dialog.getByLabel('Events').fill('license.revoked, machine.*');
    await dialog.getByLabel('Description (optional)').fill('CRM');
    await dialog.getByLabel('Editor').check();
    await dialog.getByRole('button', { name: 'Save endpoint' }).click();
    await status(`Endpoint ${receiverUrl} saved.`);
    expect(await api('GET', `/webhooks/${hook.id}`)).toMatchObject({
      eventTypes: ['license.revoked', 'machine.*'],
      description: 'CRM',
      productIds: [productId],
    });
    await page.getByRole('button', { name: `Send a test event to ${receiverUrl}` }).click();
    await status(`Test event sent to ${receiverUrl}`);
    await page.getByRole('cell', { name: 'webhook.test' }).waitFor();
    await dispatcher.deliverDue();
    expect(received).toHaveLength(1);
    expect(received[0]?.headers['keyward-event']).toBe('webhook.test');
    await page.getByRole('button', { name: 'Refresh deliveries' }).click();
    const row = page.getByRole('row').filter({ hasText: 'webhook.test' });
    await row.filter({ hasText: 'succeeded' }).waitFor();
    expect(await row.textContent()).toContain('200');
    // A disabled endpoint cannot be tested; the button says why.
    await page.getByRole('button', { name: 'Disable' }).click();
    await status(`Endpoint ${receiverUrl} disabled.`);
    // The notice comes first; the list shows the endpoint disabled once it has reloaded.
    await page.getByRole('button', { name: 'Enable' }).waitFor();
    expect(await page.getByRole('button', { name: `Send a test event to ${receiverUrl}` }).isDisabled()).toBe(
      true,
    );
  });

  it('resets the webhook and token forms after success', async () => {
    await page.getByLabel('URL').fill('https://hooks.example.com/shop');
    await page.getByLabel('Events').fill('license.created');
    await page.getByLabel('Description (optional)').fill('shop');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await status('Endpoint https://hooks.example.com/shop added.');
    expect(await page.getByLabel('URL').inputValue()).toBe('');
    expect(await page.getByLabel('Events').inputValue()).toBe('license.*, machine.*');
    expect(await page.getByLabel('Description (optional)').inputValue()).toBe('');
    await nav('API tokens');
    await page.getByLabel('Name', { exact: true }).fill('shop');
    await page.getByLabel('events:read').check();
    await page.getByLabel('Lock to product').selectOption(String(productId));
    await page.getByRole('button', { name: 'Create token' }).click();
    await status('Token “shop” created.');
    expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('');
    expect(await page.getByLabel('events:read').isChecked()).toBe(false);
    expect(await page.getByLabel('Lock to product').inputValue()).toBe('');
  });

  it('says where an events page stands', async () => {
    await nav('Events');
    const position = page.getByRole('navigation', { name: 'Pages' }).getByRole('status');
    await position.filter({ hasText: '1–100 of many' }).waitFor();
    await page.getByRole('button', { name: 'Older' }).click();
    await position.filter({ hasText: /^101–\d+ of (many|\d+)$/ }).waitFor();
    await page.getByRole('button', { name: 'Newest' }).click();
    await position.filter({ hasText: '1–100 of many' }).waitFor();
  });

  it('shows a page, not JSON, at an address no page has', async () => {
    for (const path of ['/no-such-page', '/licenses/not-a-number', '/customers/0']) {
      const answer = await page.goto(`${base}${path}`);
      await page.getByRole('heading', { name: 'Page not found', level: 1 }).waitFor();
      expect(await page.title()).toBe('Page not found · Keyward');
      if (path === '/no-such-page') {
        expect(answer?.status()).toBe(404);
        expect(answer?.headers()['content-type']).toMatch(/text\/html/);
      }
      await page.getByRole('link', { name: 'Go to the overview' }).click();
      await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    }
    expect(pageErrors).toEqual([]);
    expect(failedRequests).toEqual([]);
  });
});
