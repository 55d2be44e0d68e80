import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorPrincipal } from '../core/access/principal.js';
import type { Keyward } from '../core/keyward.js';
import { encodeOfflineRequest, openOfflineResponse } from '../core/signing/offline-exchange.js';
import { hasChromium, launchChromium } from '../test-support/browser.js';
import { startListeningApp } from '../test-support/listening-app.js';
import type { App } from './fastify-context.js';

/**
 * The dashboard's pages for what once existed only in the API or on the command line — license templates,
 * resellers, messages, offline requests, imports and users — in a real browser (Debian's Chromium, headless)
 * against the HTTP application listening on a port, serving a fresh build of the dashboard. Each page: create
 * something, see it listed and the form reset, change it, delete it, and read the server's refusals.
 */

const SCREENSHOTS =
  process.env.UPDATE_SCREENSHOTS === '1'
    ? fileURLToPath(new URL('../../../../docs/screenshots/', import.meta.url))
    : null;
const ADMIN_TOKEN = 'kw_pages_browser_admin_token_0123456789';
const EMAIL = 'owner@example.com';
const PASSWORD = 'owner password 123';
const operator = { tokenId: null, ip: null, via: 'test', principal: operatorPrincipal };

describe.skipIf(!hasChromium)('dashboard pages in a browser', () => {
  let keyward: Keyward;
  let app: App;
  let dispose: () => Promise<void>;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  let policyId: number;

  const api = async (method: string, path: string, body?: unknown) => {
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
  const row = (text: string) => page.getByRole('row').filter({ hasText: text });
  const shot = async (name: string) => {
    if (SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  };

  beforeAll(async () => {
    ({
      keyward,
      app,
      base,
      stop: dispose,
    } = await startListeningApp({
      dirPrefix: 'keyward-pages-',
      adminToken: ADMIN_TOKEN,
      user: { email: EMAIL, password: PASSWORD, role: 'admin' },
      hostName: 'localhost',
    }));

    const product = await api('POST', '/products', { name: 'Editor' });
    const policy = await api('POST', '/policies', {
      productId: product.id,
      name: 'Standard',
      maxMachines: 2,
      featureFields: [
        { name: 'edition', type: 'string', isRequired: true },
        { name: 'seats', type: 'integer', defaultValue: 1 },
      ],
    });
    policyId = policy.id;

    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('dialog', (dialog) => dialog.accept());
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await dispose?.();
  });

  it('signs in and offers every new page in the navigation', async () => {
    await page.goto(base);
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    const links = page.getByRole('navigation', { name: 'Main' }).getByRole('link');
    const labels = await links.allTextContents();
    for (const label of [
      'License templates',
      'Resellers',
      'Messages',
      'Offline requests',
      'Imports',
      'Users',
    ])
      expect(labels).toContain(label);
    // A reload on a page's own address serves the page, not a 404.
    for (const path of ['/license-templates', '/resellers', '/messages', '/offline', '/imports', '/users']) {
      const response = await fetch(`${base}${path}`, { headers: { accept: 'text/html' } });
      expect(response.status, path).toBe(200);
    }
  });

  it('creates, edits and deletes a license template, and shows a refusal', async () => {
    await nav('License templates');
    await page.getByText('No license templates yet').waitFor();
    const name = page.getByLabel('Template name');
    await name.fill('Yearly pro');
    await page.getByLabel('Policy', { exact: true }).selectOption({ label: 'Editor — Standard' });
    await page.getByLabel('Valid for days').fill('365');
    await page.getByLabel('Machines per key').fill('3');
    // The required feature is left empty: the server refuses, the form keeps what was typed.
    await page.getByRole('button', { name: 'Create template' }).click();
    await alert(/edition.*required/);
    expect(await name.inputValue()).toBe('Yearly pro');
    await page.getByLabel('Feature edition (required)').fill('pro');
    await page.getByLabel('Feature seats').fill('5');
    await page.getByRole('button', { name: 'Create template' }).click();
    await status('Template “Yearly pro” created.');
    await row('Yearly pro').waitFor();
    expect(await row('Yearly pro').textContent()).toContain('365 days');
    await shot('license-templates');
    expect(await name.inputValue()).toBe('');
    expect(await page.getByLabel('Valid for days').inputValue()).toBe('');
    const [created] = (await api('GET', '/license-templates')).data;
    expect(created).toMatchObject({
      name: 'Yearly pro',
      policyId,
      durationSeconds: 365 * 86_400,
      maxMachines: 3,
      features: { edition: 'pro', seats: 5 },
    });

    await page.getByRole('button', { name: 'Edit template Yearly pro' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit template' });
    await dialog.getByLabel('Machines per key').fill('');
    await dialog.getByLabel('Feature seats').fill('');
    await dialog.getByLabel('Template name').fill('Yearly pro 2');
    await dialog.getByRole('button', { name: 'Save template' }).click();
    await status('Template “Yearly pro 2” saved.');
    await row('Yearly pro 2').waitFor();
    expect(await api('GET', `/license-templates/${created.id}`)).toMatchObject({
      name: 'Yearly pro 2',
      maxMachines: null,
      features: { edition: 'pro' },
    });

    await page.getByRole('button', { name: 'Delete template Yearly pro 2' }).click();
    await status('Template “Yearly pro 2” deleted.');
    await page.getByText('No license templates yet').waitFor();
    expect((await api('GET', '/license-templates')).data).toEqual([]);
  });

  it('adds, edits and deletes a reseller', async () => {
    await nav('Resellers');
    await page.getByText('No resellers yet').waitFor();
    await page.getByLabel('Name', { exact: true }).fill('Nordic Software AB');
    await page.getByLabel('Email (optional)').fill('sales@nordic.example');
    await page.getByLabel('Website (optional)').fill('not a url');
    await page.getByRole('button', { name: 'Add reseller' }).click();
    // The browser holds back a malformed address; nothing reaches the server.
    expect((await api('GET', '/resellers')).data).toEqual([]);
    await page.getByLabel('Website (optional)').fill('https://nordic.example');
    await page.getByRole('button', { name: 'Add reseller' }).click();
    await status('Reseller “Nordic Software AB” added.');
    await row('Nordic Software AB').waitFor();
    expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('');
    await shot('resellers');

    await page.getByRole('button', { name: 'Edit reseller Nordic Software AB' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit reseller' });
    await dialog.getByLabel('Phone (optional)').fill('+46 8 123 456');
    await dialog.getByLabel('Email (optional)').fill('');
    await dialog.getByRole('button', { name: 'Save reseller' }).click();
    await status('Reseller “Nordic Software AB” saved.');
    await row('+46 8 123 456').waitFor();
    expect((await api('GET', '/resellers')).data).toEqual([
      expect.objectContaining({ phone: '+46 8 123 456', email: null, url: 'https://nordic.example' }),
    ]);

    await page.getByRole('button', { name: 'Delete reseller Nordic Software AB' }).click();
    await status('Reseller “Nordic Software AB” deleted.');
    await page.getByText('No resellers yet').waitFor();
  });

  it('posts, filters and deletes messages', async () => {
    await nav('Messages');
    await page.getByText('No messages yet').waitFor();
    await page.getByLabel('Channel', { exact: true }).fill('stable');
    await page.getByLabel('Message', { exact: true }).fill('Version 2.0 is out.\nUpdate from the Help menu.');
    await page.getByRole('button', { name: 'Post message' }).click();
    await status('Message posted to “stable”.');
    await page.getByRole('cell', { name: /Version 2\.0 is out/ }).waitFor();
    expect(await page.getByLabel('Message', { exact: true }).inputValue()).toBe('');
    await page.getByLabel('Message', { exact: true }).fill('Beta 3 is ready.');
    await page.getByLabel('Channel', { exact: true }).fill('beta');
    await page.getByRole('button', { name: 'Post message' }).click();
    await status('Message posted to “beta”.');
    await page.getByRole('cell', { name: 'Beta 3 is ready.' }).waitFor();
    await shot('messages');

    await page.getByLabel('Show channel').fill('beta');
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    await page.getByRole('cell', { name: /Version 2\.0/ }).waitFor({ state: 'detached' });
    expect(await page.getByRole('cell', { name: 'Beta 3 is ready.' }).count()).toBe(1);
    const [beta] = (await api('GET', '/messages?channel=beta')).data;
    await page.getByRole('button', { name: `Delete message ${beta.id} in beta` }).click();
    await status('Message deleted from “beta”.');
    await page.getByText('No messages in “beta”').waitFor();
    expect((await api('GET', '/messages')).data.map((m: { channel: string }) => m.channel)).toEqual([
      'stable',
    ]);
  });

  it('answers an air-gapped machine’s request file and downloads the signed response', async () => {
    const license = await api('POST', '/licenses', { policyId, features: { edition: 'pro' } });
    const request = encodeOfflineRequest({
      type: 'activation',
      key: license.key,
      fingerprint: 'air-gapped-workstation',
      requestedAt: new Date(),
      nonce: 'browser-nonce-1',
      name: 'Lab workstation',
    });
    await nav('Offline requests');
    // A request that is none: the server's reason, the text kept for fixing.
    await page.getByLabel('Request', { exact: true }).fill('hello');
    await page.getByRole('button', { name: 'Answer request' }).click();
    await alert(/not a Keyward offline request/);
    // The file the machine wrote, uploaded.
    await page.getByLabel('Request file').setInputFiles({
      name: 'request.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from(`${request.match(/.{1,64}/g)?.join('\n')}\n`),
    });
    await page.getByText('Read from request.txt').waitFor();
    await page.getByRole('button', { name: 'Answer request' }).click();
    await status(/Machine #\d+ activated/);
    expect(await page.getByLabel('Request', { exact: true }).inputValue()).toBe('');
    await shot('offline');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download response file' }).click(),
    ]);
    const response = readFileSync(await download.path(), 'utf8').trim();
    const ed25519 = (await api('GET', '/signing-keys')).data.find(
      (k: { algorithm: string }) => k.algorithm === 'ed25519',
    );
    expect(openOfflineResponse(response, ed25519.publicKeyPem)).toMatchObject({
      nonce: 'browser-nonce-1',
      license: { key: license.key },
      machine: { fingerprint: 'air-gapped-workstation' },
    });
    const machines = (await api('GET', `/machines?licenseId=${license.id}`)).data;
    expect(machines).toEqual([expect.objectContaining({ fingerprint: 'air-gapped-workstation' })]);

    // And the machine giving its seat back, pasted this time.
    await page.getByLabel('Request', { exact: true }).fill(
      encodeOfflineRequest({
        type: 'deactivation',
        key: license.key,
        machineId: machines[0].id,
        fingerprint: 'air-gapped-workstation',
        requestedAt: new Date(),
        nonce: 'browser-nonce-2',
      }),
    );
    await page.getByRole('button', { name: 'Answer request' }).click();
    await status(`Machine #${machines[0].id} deactivated`);
    expect(await page.getByRole('button', { name: 'Download response file' }).count()).toBe(0);
  });

  it('imports a CSV file, shows a failure with its row, and reruns the fixed file', async () => {
    await nav('Imports');
    await page.getByText('No imports yet').waitFor();
    const csv = (expires: string) =>
      'key,product,policy,max_machines,expires_at,email\r\n' +
      'IMPRT-AAAAA-BBBBB-CCCCC,Imported app,Pro,2,2030-01-01T00:00:00Z,ann@example.com\r\n' +
      `IMPRT-DDDDD-EEEEE-FFFFF,Imported app,Pro,1,${expires},bob@example.com\r\n`;
    await page.getByLabel('Source (optional)').fill('shop');
    await page.getByLabel('CSV file').setInputFiles({
      name: 'licenses.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(csv('not-a-date')),
    });
    await page.getByText('Read from licenses.csv').waitFor();
    await page.getByRole('button', { name: 'Start import' }).click();
    await status(/Import #\d+ started\./);
    expect(await page.getByLabel('CSV text').inputValue()).toBe('');
    const failed = row('failed');
    await failed.waitFor({ timeout: 20_000 });
    expect(await failed.textContent()).toMatch(/row 3|not-a-date/);

    await page.getByLabel('Source (optional)').fill('shop');
    await page.getByLabel('CSV text').fill(csv('2031-01-01T00:00:00Z'));
    await page.getByRole('button', { name: 'Start import' }).click();
    await status(/started in place of import #\d+/);
    const done = row('succeeded');
    await done.waitFor({ timeout: 30_000 });
    expect(await done.textContent()).toContain('licenses: 2 created');
    await shot('imports');
    const licenses = (await api('GET', '/licenses?key=IMPRT')).data.map((l: { key: string }) => l.key);
    expect(licenses.sort()).toEqual(['IMPRT-AAAAA-BBBBB-CCCCC', 'IMPRT-DDDDD-EEEEE-FFFFF']);
  }, 90_000);

  it('manages dashboard users: create, change the role, set a password, delete; keeps the last admin', async () => {
    await nav('Users');
    await row(EMAIL).waitFor();
    await page.getByLabel('Email', { exact: true }).fill('Help@Example.com');
    await page.getByLabel('Role', { exact: true }).selectOption('support');
    await page.getByLabel('Password', { exact: true }).fill('first password 1');
    await page.getByLabel('Repeat password').fill('first password 2');
    await page.getByRole('button', { name: 'Create user' }).click();
    // Mismatched passwords are held back in the browser.
    expect((await api('GET', '/dashboard-users')).data).toHaveLength(1);
    await page.getByLabel('Repeat password').fill('first password 1');
    await page.getByRole('button', { name: 'Create user' }).click();
    await status('User help@example.com created as support.');
    await row('help@example.com').waitFor();
    expect(await page.getByLabel('Email', { exact: true }).inputValue()).toBe('');
    expect(await page.getByLabel('Password', { exact: true }).inputValue()).toBe('');

    await page.getByLabel('Role of help@example.com').selectOption('read-only');
    await status('help@example.com is now read-only.');
    const helper = (await api('GET', '/dashboard-users')).data.find(
      (u: { email: string }) => u.email === 'help@example.com',
    );
    expect(helper.role).toBe('read-only');
    await shot('users');

    await page.getByRole('button', { name: 'Set a new password for help@example.com' }).click();
    const dialog = page.getByRole('dialog', { name: 'New password for help@example.com' });
    await dialog.getByLabel('New password', { exact: true }).fill('second password 2');
    await dialog.getByLabel('Repeat new password').fill('second password 2');
    await dialog.getByRole('button', { name: 'Set password' }).click();
    await status('New password set for help@example.com; their sessions were ended.');
    const signIn = (password: string) =>
      app.inject({ method: 'POST', url: '/v1/session', payload: { email: 'help@example.com', password } });
    expect((await signIn('first password 1')).statusCode).toBe(401);
    expect((await signIn('second password 2')).statusCode).toBe(200);

    // The only admin cannot make itself support: the server's reason is shown, the role stays.
    await page.getByLabel(`Role of ${EMAIL}`).selectOption('support');
    await alert(/last admin/);
    expect(await page.getByLabel(`Role of ${EMAIL}`).inputValue()).toBe('admin');
    await page.getByRole('button', { name: `Delete user ${EMAIL}` }).click();
    await alert(/last admin/);

    await page.getByRole('button', { name: 'Delete user help@example.com' }).click();
    await status('User help@example.com deleted.');
    await row('help@example.com').waitFor({ state: 'detached' });
    expect((await api('GET', '/dashboard-users')).data.map((u: { email: string }) => u.email)).toEqual([
      EMAIL,
    ]);
  });

  it('hides the users page from a support user, whom the API refuses anyway', async () => {
    await keyward.dashboardAuth.createUser(operator, {
      email: 'support@example.com',
      password: 'support password',
      role: 'support',
    });
    const other = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const support = await other.newPage();
    support.on('pageerror', (error) => pageErrors.push(error.message));
    await support.goto(base);
    await support.getByLabel('Email').fill('support@example.com');
    await support.getByLabel('Password').fill('support password');
    await support.getByRole('button', { name: 'Sign in' }).click();
    await support.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    const labels = await support
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link')
      .allTextContents();
    expect(labels).not.toContain('Users');
    expect(labels).toContain('Offline requests');
    await support.goto(`${base}/users`);
    await support.getByText(/Only admins manage/).waitFor();
    const answer = await support.evaluate(async () => {
      const session = (await (await fetch('/v1/session')).json()) as { csrfToken: string };
      const response = await fetch('/v1/dashboard-users', { headers: { 'x-csrf-token': session.csrfToken } });
      return { status: response.status, body: await response.json() };
    });
    expect(answer).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
    await other.close();
    expect(pageErrors).toEqual([]);
  });
});
