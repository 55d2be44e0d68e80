import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectFailedRequests, hasChromium, launchChromium } from '../test-support/browser.js';
import { type AdminApi, type ServedKeyward, startServedKeyward } from '../test-support/served-keyward.js';

/**
 * The dashboard in a real browser (Debian's Chromium, headless) against a real server process on a fresh
 * SQLite database: sign in, catalog, bulk keys, search, a license's page, machines, the audit log. The
 * browser reaches the server as a vendor first does on a VM: plain HTTP under a name that is not localhost
 * (keyward.test, mapped to 127.0.0.1), where nothing may be upgraded to https and a Secure cookie would be
 * dropped. With UPDATE_SCREENSHOTS=1 it also writes the screenshots under docs/screenshots/.
 */

const REPO_DIR = fileURLToPath(new URL('../../../../', import.meta.url));
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? join(REPO_DIR, 'docs/screenshots') : null;
const ADMIN_TOKEN = 'kw_browser_test_admin_token_0123456789';
const EMAIL = 'ops@example.com';
const PASSWORD = 'browser test password';
/** Not localhost: browsers treat http://localhost as a secure context, which hid a blank page once. */
const HOST_NAME = 'keyward.test';

describe.skipIf(!hasChromium)('dashboard in a browser', () => {
  let served: ServedKeyward;
  /** What the browser opens: http://keyward.test:<port>. */
  let base: string;
  /** What the test's own requests use. */
  let apiBase: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  const failedRequests: string[] = [];
  const consoleErrors: string[] = [];
  let keys: string[] = [];
  let licenseId: number;
  let machineId: number;

  const api: AdminApi = (method, path, body) => served.api(method, path, body);
  const shot = async (name: string, fullPage = true) => {
    if (!SCREENSHOTS) return;
    await page.waitForLoadState('networkidle');
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage });
  };
  const nav = (label: string) =>
    page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label }).click();

  beforeAll(async () => {
    if (SCREENSHOTS) mkdirSync(SCREENSHOTS, { recursive: true });
    // The first admin from the command line, password on standard input (signing in below proves it).
    served = await startServedKeyward({
      dirPrefix: 'keyward-browser-',
      adminToken: ADMIN_TOKEN,
      hostName: HOST_NAME,
      user: { email: EMAIL, password: PASSWORD, role: 'admin' },
    });
    ({ base, apiBase } = served);
    browser = await launchChromium(HOST_NAME);
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    collectFailedRequests(page, failedRequests);
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('dialog', (dialog) => dialog.accept());
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  it('serves the page for client routes and keeps API 404s in JSON', async () => {
    const deep = await fetch(`${apiBase}/licenses/123`);
    expect(deep.status).toBe(200);
    expect(deep.headers.get('content-type')).toMatch(/text\/html/);
    const missing = await fetch(`${apiBase}/v1/nothing-here`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });

  it('loads over plain HTTP under a name that is not localhost: scripts and styles, nothing upgraded', async () => {
    const loaded: string[] = [];
    const onResponse = (response: import('playwright-core').Response) => {
      loaded.push(`${response.status()} ${response.url()}`);
    };
    page.on('response', onResponse);
    const answer = await page.goto(base);
    expect(answer?.status()).toBe(200);
    const csp = answer?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(answer?.headers()['strict-transport-security']).toBeUndefined();
    // The page rendered, so its script ran.
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    // styles.css sets the body's margin to 0 (a browser's own is 8px).
    const bodyMargin = await page.evaluate(() => {
      const g = globalThis as unknown as {
        document: { body: object };
        getComputedStyle(element: object): { marginTop: string };
      };
      return g.getComputedStyle(g.document.body).marginTop;
    });
    expect(bodyMargin).toBe('0px');
    page.off('response', onResponse);
    const assets = loaded.filter((line) => /\/assets\//.test(line));
    expect(assets.some((line) => /\.js$/.test(line))).toBe(true);
    expect(assets.some((line) => /\.css$/.test(line))).toBe(true);
    for (const line of loaded) expect(line).toMatch(new RegExp(`^200 http://${HOST_NAME}:`));
    expect(failedRequests).toEqual([]);
    // Content-security-policy refusals and mixed-content blocks show up here.
    expect(consoleErrors, consoleErrors.join('\n')).toEqual([]);
  });

  it('shows the API reference over plain HTTP too', async () => {
    const docs = await context.newPage();
    const failed: string[] = [];
    docs.on('requestfailed', (request) => failed.push(request.url()));
    await docs.goto(`${base}/docs`);
    await docs.getByText('Keyward API').first().waitFor();
    expect(failed).toEqual([]);
    await docs.close();
  });

  it('signs in with the keyboard', async () => {
    await page.goto(base);
    await shot('sign-in');
    await page.getByLabel('Email').focus();
    await page.keyboard.type(EMAIL);
    await page.keyboard.press('Tab');
    await page.keyboard.type('wrong password');
    await page.keyboard.press('Enter');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/wrong email or password/);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    const cookie = (await context.cookies()).find((c) => c.name === 'keyward_session');
    // Not Secure: over plain HTTP on a name other than localhost the browser would drop a Secure cookie.
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', secure: false, domain: HOST_NAME });
  });

  it('creates a product and a policy with a feature field', async () => {
    await nav('Products & policies');
    await page
      .getByRole('heading', { name: 'No products yet' })
      .or(page.getByText('No products yet'))
      .waitFor();
    await page.getByLabel('Name', { exact: true }).fill('Desktop App');
    await page.getByLabel('Code (optional)').fill('DESKTOP');
    await page.getByRole('button', { name: 'Create product' }).click();
    await page.getByRole('heading', { name: 'Desktop App', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'New policy' }).click();
    const dialog = page.getByRole('dialog', { name: 'New policy' });
    await dialog.getByLabel('Policy name').fill('Pro');
    await dialog.getByLabel('Machines per key').fill('2');
    await dialog.getByRole('button', { name: 'Add feature field' }).click();
    await dialog.getByLabel('Field 1 name').fill('export');
    await dialog.getByRole('button', { name: 'Create policy' }).click();
    await page.getByRole('heading', { name: 'Pro', level: 3 }).waitFor();
    const policies = await api('GET', '/policies');
    expect(policies.data).toEqual([
      expect.objectContaining({
        name: 'Pro',
        maxMachines: 2,
        featureFields: [expect.objectContaining({ name: 'export', type: 'boolean' })],
      }),
    ]);
    await shot('product');
  });

  it('bulk-creates keys, shows progress and exports them as CSV', async () => {
    await nav('Licenses');
    await page.getByText('No licenses yet').waitFor();
    await page.getByRole('button', { name: 'Create keys' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create keys' });
    await dialog.getByLabel('Number of keys').fill('1200');
    await dialog.getByRole('button', { name: 'Create keys' }).click();
    await dialog.getByRole('progressbar', { name: 'Keys created' }).waitFor();
    await dialog.getByText('1,200 keys created under Desktop App · Pro.').waitFor({ timeout: 30_000 });
    await shot('licenses-bulk-create', false);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      dialog.getByRole('button', { name: 'Download CSV of the new keys' }).click(),
    ]);
    const csv = readFileSync(await download.path(), 'utf8')
      .trim()
      .split('\r\n');
    expect(csv[0]).toBe('id,key,policyId,email,customerId,expiresAt,createdAt');
    expect(csv).toHaveLength(1201);
    keys = csv.slice(1).map((line) => line.split(',')[1] as string);
    expect(new Set(keys).size).toBe(1200);
    const listed = await api('GET', '/licenses?limit=1000');
    expect(listed.data).toHaveLength(1000);
    await dialog.getByRole('button', { name: 'Close dialog' }).click();
    await page.getByRole('table').waitFor();
  });

  it('finds a key by search and opens its page', async () => {
    const key = keys[617] as string;
    await page.getByLabel('Key or email').fill(key.slice(0, 12));
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const link = page.getByRole('link', { name: key });
    await link.waitFor();
    expect(await page.locator('table.licenses tbody tr').count()).toBeLessThanOrEqual(3);
    await shot('licenses');
    await link.click();
    await page.getByRole('heading', { name: key, level: 1 }).waitFor();
    licenseId = Number(new URL(page.url()).pathname.split('/').pop());
    expect((await api('GET', `/licenses/${licenseId}`)).key).toBe(key);
    await page.getByText('The key has not been activated on any machine right now.').waitFor();
  });

  it('shows a machine activated through the API and deactivates it from the page', async () => {
    const machine = await api('POST', '/machines', {
      licenseId,
      fingerprint: 'laptop-fp-1',
      name: 'Ada’s laptop',
      platform: 'linux',
    });
    machineId = machine.id;
    await api('POST', '/licenses/actions/validate-key', { key: keys[617], fingerprint: 'laptop-fp-1' });
    await page.reload();
    await page.getByRole('cell', { name: /laptop-fp-1/ }).waitFor();
    await shot('license');
    await page.getByRole('button', { name: 'Deactivate machine Ada’s laptop' }).click();
    await page.getByText('The key has not been activated on any machine right now.').waitFor();
    expect((await api('GET', `/machines/${machineId}`)).deactivatedAt).not.toBeNull();
    // The license's own history lists it.
    await page.getByRole('cell', { name: 'machine.deactivated' }).first().waitFor();
  });

  it('suspends and extends the license from its page', async () => {
    await page.getByRole('button', { name: 'Suspend' }).click();
    await page.getByText('License suspended.').waitFor();
    expect((await api('GET', `/licenses/${licenseId}`)).status).toBe('suspended');
    await page.getByRole('button', { name: 'Reinstate' }).click();
    await page.getByText('License reinstated.').waitFor();
    await page.getByLabel('Extend by days').fill('10');
    await page.getByRole('button', { name: 'Extend', exact: true }).click();
    await page.getByText(/^License extended by 10 days, to .+\.$/).waitFor();
    expect((await api('GET', `/licenses/${licenseId}`)).status).toBe('active');
  });

  it('finds the deactivation in the event log, done by the signed-in user', async () => {
    await nav('Events');
    await page.getByLabel('Type').selectOption('machine.deactivated');
    const row = page.getByRole('row').filter({ hasText: 'machine.deactivated' });
    await row.first().waitFor();
    expect(await row.count()).toBe(1);
    expect(await row.first().textContent()).toContain(EMAIL);
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByRole('cell', { name: 'license.extended' }).waitFor();
    await shot('events', false);
  });

  it('creates an API token whose secret is shown once and works', async () => {
    await nav('API tokens');
    await page.getByLabel('Name', { exact: true }).fill('web shop');
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = (await page.locator('code.secret').textContent()) ?? '';
    expect(secret).toMatch(/^kw_/);
    const response = await fetch(`${apiBase}/v1/licenses?limit=1`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(response.status).toBe(200);
    await page.getByRole('cell', { name: 'web shop', exact: true }).waitFor();
    await shot('tokens');
    await page.reload();
    await page.getByRole('cell', { name: 'web shop', exact: true }).waitFor();
    expect(await page.locator('code.secret').count()).toBe(0);
  });

  it('lists customers, signing keys (with the RSA XML) and the overview', async () => {
    await nav('Customers');
    await page.getByLabel('Name', { exact: true }).fill('Ada Lovelace');
    await page.getByLabel('Email', { exact: true }).fill('ada@example.com');
    await page.getByRole('button', { name: 'Add customer' }).click();
    await page.getByRole('cell', { name: 'Ada Lovelace' }).waitFor();
    await shot('customers');
    await nav('Products & policies');
    await page.getByRole('link', { name: 'Desktop App' }).waitFor();
    await shot('products');
    await nav('Signing keys');
    await page.getByText('<RSAKeyValue>', { exact: false }).waitFor();
    await shot('signing-keys');
    await nav('Overview');
    await page.getByText('Active machines').waitFor();
    const licenses = page.locator('.stat').filter({ hasText: 'Licenses' }).first();
    expect(await licenses.locator('.stat-value').textContent()).toBe('1,200');
    await page.locator('.chart svg').waitFor();
    await shot('overview');
  });

  it('adds a webhook endpoint and shows its secret once', async () => {
    await nav('Webhooks');
    await page.getByText('No webhook endpoints').waitFor();
    await page.getByLabel('URL').fill('https://hooks.example.com/keyward');
    // An event type nothing in this test emits any more, so the server attempts no delivery.
    await page.getByLabel('Events').fill('license.deleted');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    expect(await page.locator('code.secret').textContent()).toBeTruthy();
    await page.getByRole('heading', { name: 'https://hooks.example.com/keyward' }).waitFor();
    await shot('webhooks');
    const hooks = await api('GET', '/webhooks');
    expect(hooks.data).toEqual([
      expect.objectContaining({ url: 'https://hooks.example.com/keyward', eventTypes: ['license.deleted'] }),
    ]);
  });

  it('works at a phone width with the menu', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Licenses' }).click();
    await page.getByRole('table').waitFor();
    const overflow = await page.evaluate(
      // Runs in the page; the server's compiler knows no DOM types.
      () => {
        const g = globalThis as unknown as {
          document: { documentElement: { scrollWidth: number } };
          innerWidth: number;
        };
        return g.document.documentElement.scrollWidth - g.innerWidth;
      },
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await shot('licenses-phone', false);
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('signs out, after which the API refuses the old cookie', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    const status = await page.evaluate(async () => (await fetch('/v1/licenses')).status);
    expect(status).toBe(401);
    expect(pageErrors).toEqual([]);
    expect(failedRequests).toEqual([]);
  });
});
