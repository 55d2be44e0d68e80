import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretBox } from '../core/signing/secrets.js';
import { createStore } from '../storage/create-store.js';
import { CHROMIUM, collectFailedRequests, DASHBOARD_DIR, hasChromium, run } from '../test-support/browser.js';

/**
 * The customer portal in a real browser against a real server process: a customer asks for a sign-in link,
 * opens the link the server queued for email (read from the outbox and opened with the server's secret, as the
 * mailer would), sees their licenses and deactivates a machine. Reached as customers of a small vendor may:
 * plain HTTP under a name that is not localhost, where a Secure cookie would be dropped.
 */

const SERVER_DIR = fileURLToPath(new URL('../../', import.meta.url));
const REPO_DIR = fileURLToPath(new URL('../../../../', import.meta.url));
/** With UPDATE_SCREENSHOTS=1 the pages are also written under docs/screenshots/. */
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? join(REPO_DIR, 'docs/screenshots') : null;
const ADMIN_TOKEN = 'kw_portal_browser_admin_token_0123456789';
const SECRET = 'portal-browser-test-secret-0123456789abcdef';
const HOST_NAME = 'portal.keyward.test';
const EMAIL = 'customer@example.com';
const VENDOR_EMAIL = 'vendor@example.com';
const VENDOR_PASSWORD = 'portal browser test password';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

describe.skipIf(!hasChromium)('customer portal in a browser', () => {
  let dir: string;
  let server: ChildProcess;
  let serverOutput = '';
  let base: string;
  let apiBase: string;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const failedRequests: string[] = [];
  let machineIds: number[] = [];
  let licenseId: number;

  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${apiBase}/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };

  /** The newest sign-in link queued for `to`, opened as the mailer opens it. */
  const signInLinkFor = async (to: string): Promise<string> => {
    const store = createStore({ kind: 'sqlite', path: join(dir, 'keyward.sqlite') });
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
    if (!existsSync(join(DASHBOARD_DIR, 'dist/portal.html')))
      run('npx', ['vite', 'build'], { cwd: DASHBOARD_DIR, timeoutMs: 120_000 });
    if (!existsSync(join(SERVER_DIR, 'dist/keyward.cjs')))
      run('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: SERVER_DIR, timeoutMs: 120_000 });
    dir = mkdtempSync(join(tmpdir(), 'keyward-portal-browser-'));
    const port = await freePort();
    base = `http://${HOST_NAME}:${port}`;
    apiBase = `http://127.0.0.1:${port}`;
    const env = {
      ...process.env,
      DATABASE_URL: join(dir, 'keyward.sqlite'),
      PORT: String(port),
      HOST: '127.0.0.1',
      KEYWARD_ADMIN_TOKEN: ADMIN_TOKEN,
      KEYWARD_SECRET: SECRET,
      KEYWARD_PUBLIC_URL: base,
      LOG_LEVEL: 'warn',
    };
    run('node', ['dist/keyward.cjs', 'user', 'create', '--email', VENDOR_EMAIL, '--role', 'admin'], {
      cwd: SERVER_DIR,
      env,
      input: `${VENDOR_PASSWORD}\n`,
      timeoutMs: 120_000,
    });
    server = spawn('node', ['dist/keyward.cjs', 'serve'], {
      cwd: SERVER_DIR,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout?.on('data', (chunk) => {
      serverOutput += String(chunk);
    });
    server.stderr?.on('data', (chunk) => {
      serverOutput += String(chunk);
    });
    for (let i = 0; ; i++) {
      const ready = await fetch(`${apiBase}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) break;
      if (i > 150 || server.exitCode !== null) throw new Error(`the server did not start:\n${serverOutput}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const product = await api('POST', '/products', { name: 'Photon Editor' });
    const policy = await api('POST', '/policies', { productId: product.id, name: 'Studio', maxMachines: 3 });
    const license = await api('POST', '/licenses', { policyId: policy.id, email: EMAIL });
    licenseId = license.id;
    machineIds = [];
    for (const name of ['Office desktop', 'Travel laptop'])
      machineIds.push(
        (await api('POST', '/machines', { licenseId: license.id, fingerprint: `fp-${name}`, name })).id,
      );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', `--host-resolver-rules=MAP ${HOST_NAME} 127.0.0.1`],
    });
    page = await (await browser.newContext({ viewport: { width: 1100, height: 800 } })).newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    collectFailedRequests(page, failedRequests);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
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
