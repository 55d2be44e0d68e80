import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretBox } from '../core/signing/secrets.js';
import { createStore } from '../storage/create-store.js';
import { collectFailedRequests, hasChromium, launchChromium } from '../test-support/browser.js';
import { type AdminApi, type ServedKeyward, startServedKeyward } from '../test-support/served-keyward.js';

/**
 * The customer portal in a real browser against a real server process: a customer asks for a sign-in link,
 * opens the link the server queued for email (read from the outbox and opened with the server's secret, as the
 * mailer would), sees their licenses and deactivates a machine. Reached as customers of a small vendor may:
 * plain HTTP under a name that is not localhost, where a Secure cookie would be dropped.
 */

const REPO_DIR = fileURLToPath(new URL('../../../../', import.meta.url));
/** With UPDATE_SCREENSHOTS=1 the pages are also written under docs/screenshots/. */
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? join(REPO_DIR, 'docs/screenshots') : null;
const ADMIN_TOKEN = 'kw_portal_browser_admin_token_0123456789';
const SECRET = 'portal-browser-test-secret-0123456789abcdef';
const HOST_NAME = 'portal.keyward.test';
const EMAIL = 'customer@example.com';
const VENDOR_EMAIL = 'vendor@example.com';
const VENDOR_PASSWORD = 'portal browser test password';

describe.skipIf(!hasChromium)('customer portal in a browser', () => {
  let served: ServedKeyward;
  let base: string;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const failedRequests: string[] = [];
  let machineIds: number[] = [];
  let licenseId: number;

  const api: AdminApi = (method, path, body) => served.api(method, path, body);

  /** The newest sign-in link queued for `to`, opened as the mailer opens it. */
  const signInLinkFor = async (to: string): Promise<string> => {
    const store = createStore({ kind: 'sqlite', path: served.databaseUrl });
    try {
      const row = await store.database.db
        .selectFrom('email_messages')
        .selectAll()
        .where('kind', '=', 'portal_sign_in')
        .where('to_address', '=', to)
        .orderBy('id', 'desc')
        .executeTakeFirstOrThrow();
      return (JSON.parse(new SecretBox(SECRET).open(row.sealed_secrets as string)) as { signInUrl: string })
        .signInUrl;
    } finally {
      await store.close();
    }
  };

  const shot = async (name: string) => {
    if (!SCREENSHOTS) return;
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.waitForLoadState('networkidle');
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  };

  beforeAll(async () => {
    served = await startServedKeyward({
      dirPrefix: 'keyward-portal-browser-',
      adminToken: ADMIN_TOKEN,
      hostName: HOST_NAME,
      env: (url) => ({ KEYWARD_SECRET: SECRET, KEYWARD_PUBLIC_URL: url }),
      user: { email: VENDOR_EMAIL, password: VENDOR_PASSWORD, role: 'admin' },
    });
    base = served.base;
    const product = await api('POST', '/products', { name: 'Photon Editor' });
    const policy = await api('POST', '/policies', { productId: product.id, name: 'Studio', maxMachines: 3 });
    const license = await api('POST', '/licenses', { policyId: policy.id, email: EMAIL });
    licenseId = license.id;
    machineIds = [];
    for (const name of ['Office desktop', 'Travel laptop'])
      machineIds.push(
        (await api('POST', '/machines', { licenseId: license.id, fingerprint: `fp-${name}`, name })).id,
      );
    browser = await launchChromium(HOST_NAME);
    page = await (await browser.newContext({ viewport: { width: 1100, height: 800 } })).newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    collectFailedRequests(page, failedRequests);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  it("sets the portal up from the dashboard's Customer portal page", async () => {
    await page.goto(base);
    await page.getByLabel('Email').fill(VENDOR_EMAIL);
    await page.getByLabel('Password').fill(VENDOR_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Customer portal' })
      .click();
    await page.getByRole('heading', { name: 'Customer portal', level: 1 }).waitFor();
    // The address customers open, from KEYWARD_PUBLIC_URL.
    await page.getByRole('link', { name: `${base}/portal/` }).waitFor();
    await page.getByLabel('Portal enabled').check();
    await page.getByLabel('Name shown to customers').fill('Photon Software');
    await page.getByLabel('Primary colour').fill('#7a1fa2');
    await page.getByLabel('Download license files').uncheck();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Portal settings saved.').waitFor();
    await shot('customer-portal-settings');
    expect(await api('GET', '/portal/settings')).toMatchObject({
      isEnabled: true,
      displayName: 'Photon Software',
      primaryColor: '#7a1fa2',
      allowedActions: { deactivation: true, licenseFile: false, offlineActivation: true },
      publicUrl: base,
    });
  });

  it('signs a customer in with an emailed link, shows their licenses and deactivates a machine', async () => {
    const answer = await page.goto(`${base}/portal/`);
    expect(answer?.status()).toBe(200);
    const csp = answer?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("img-src 'self' data:");
    expect(csp).not.toContain('upgrade-insecure-requests');
    // In the vendor's name and colours.
    await page.getByText('Photon Software').waitFor();
    expect(await page.title()).toBe('Photon Software');
    const headerColour = await page.locator('.portal-header').evaluate((element) => {
      // Runs in the page; the server's compiler knows no DOM.
      const g = globalThis as unknown as { getComputedStyle(e: object): { backgroundColor: string } };
      return g.getComputedStyle(element).backgroundColor;
    });
    expect(headerColour).toBe('rgb(122, 31, 162)');

    await page.getByLabel('Email address').fill(EMAIL);
    await page.getByRole('button', { name: 'Send me a sign-in link' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    await shot('customer-portal-check-email');

    const link = await signInLinkFor(EMAIL);
    expect(link.startsWith(`${base}/portal/sign-in#kwl_`)).toBe(true);
    await page.goto(link);
    await page.getByRole('heading', { name: 'Your licenses' }).waitFor();
    // The token left the address bar once redeemed.
    expect(page.url()).toBe(`${base}/portal/`);
    const cookie = (await page.context().cookies()).find((c) => c.name === 'keyward_portal');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: false, path: '/portal/api' });
    await page.getByRole('heading', { name: 'Photon Editor' }).waitFor();
    await page.getByText('Office desktop').waitFor();
    await page.getByText('Travel laptop').waitFor();
    await shot('customer-portal-licenses');
    // Only the actions the vendor allows are offered.
    expect(await page.getByRole('button', { name: 'License file' }).count()).toBe(0);

    await page.getByRole('button', { name: 'Deactivate Travel laptop' }).click();
    await page.getByText('Travel laptop was deactivated.').waitFor();
    await expect.poll(() => page.getByRole('cell', { name: 'Travel laptop', exact: true }).count()).toBe(0);
    await page.getByRole('cell', { name: 'Office desktop', exact: true }).waitFor();
    const machines = await api('GET', `/machines?licenseId=${licenseId}`);
    expect(machines.data.map((m: { id: number }) => m.id)).toEqual([machineIds[0]]);

    // A used link signs nobody in again (a browser without the session cookie).
    const stranger = await (await browser.newContext()).newPage();
    await stranger.goto(link);
    await stranger.getByRole('heading', { name: 'Sign in' }).waitFor();
    await stranger.getByText(/not valid/).waitFor();
    await page.goto(link);
    // …while the customer's own browser, still signed in, just shows the licenses.
    await page.getByRole('heading', { name: 'Your licenses' }).waitFor();
    expect(pageErrors).toEqual([]);
    expect(failedRequests).toEqual([]);
  });
});
