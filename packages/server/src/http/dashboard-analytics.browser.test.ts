import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_DIR, hasChromium, launchChromium, run } from '../test-support/browser.js';
import { adminApi } from '../test-support/served-keyward.js';
import {
  CLI,
  ensureBuilt,
  freePorts,
  PACKAGE_DIR,
  PROCESS_ADMIN_TOKEN,
  PROCESS_SECRET,
  type ServerProcess,
  startServerProcess,
  waitUntilReady,
} from '../test-support/server-process.js';

/**
 * Feature-usage analytics in the dashboard, in a real browser (Debian's Chromium, headless) against a real
 * server process: a Cryptolens app on a product nobody set up creates its key and registers events, and the
 * Analytics page shows them, filtered by product and feature.
 */

const EMAIL = 'analytics@example.com';
const PASSWORD = 'analytics test password';

describe.skipIf(!hasChromium)('analytics in the dashboard', () => {
  let dir: string;
  let server: ServerProcess;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  let key: string;
  let productId: number;

  const api = (method: string, path: string, body?: unknown) =>
    adminApi(server.url, PROCESS_ADMIN_TOKEN)(method, path, body);
  /** What a Cryptolens SDK sends: a form post with the token. */
  const cryptolens = async (method: string, params: Record<string, string | number>, token: string) => {
    const response = await fetch(`${server.url}/cryptolens/api/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token,
        ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])),
      }),
    });
    const answer = (await response.json()) as { result: number; message: string; key?: string };
    if (answer.result !== 0) throw new Error(`${method}: ${answer.message}`);
    return answer;
  };
  const nav = (label: string) =>
    page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label }).click();

  beforeAll(async () => {
    // The pages under test, built from the sources as they are now.
    run('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: DASHBOARD_DIR });
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'keyward-analytics-browser-'));
    const databaseUrl = join(dir, 'keyward.sqlite');
    run(process.execPath, [CLI, 'user', 'create', '--email', EMAIL, '--role', 'read-only'], {
      cwd: PACKAGE_DIR,
      env: { ...process.env, DATABASE_URL: databaseUrl, KEYWARD_SECRET: PROCESS_SECRET, LOG_LEVEL: 'warn' },
      input: `${PASSWORD}\n`,
    });
    const [port] = (await freePorts(1)) as [number];
    server = startServerProcess({ port, databaseUrl });
    await waitUntilReady(server);
    // A product nobody gave a policy; the app's token may create keys and register events.
    productId = (await api('POST', '/products', { name: 'Report Studio' })).id;
    await api('POST', '/products', { name: 'Other App' });
    const { secret } = await api('POST', '/tokens', {
      name: 'app',
      scopes: ['licenses:write', 'analytics:write'],
      methodLock: ['key/CreateKey', 'ai/RegisterEvent'],
    });
    key = (await cryptolens('key/CreateKey', { ProductId: productId, F1: 'true' }, secret)).key as string;
    await cryptolens(
      'ai/RegisterEvent',
      {
        ProductId: productId,
        Key: key,
        MachineCode: 'pc-7',
        FeatureName: 'YearReportGenerator',
        EventName: 'start',
      },
      secret,
    );
    await cryptolens(
      'ai/RegisterEvent',
      { ProductId: productId, FeatureName: 'Billing', EventName: 'purchase', Value: 3000, Currency: 'USD' },
      secret,
    );
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(server.url);
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.kill('SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows the events an app registered, newest first, with their product, license and machine', async () => {
    await nav('Analytics');
    await page.getByRole('heading', { name: 'Analytics', level: 1 }).waitFor();
    const rows = page.locator('table tbody tr');
    await rows.first().waitFor();
    const texts = await rows.allTextContents();
    expect(texts).toHaveLength(2);
    expect(texts[0]).toContain('Billing');
    expect(texts[0]).toContain('purchase');
    expect(texts[0]).toContain('3,000 USD');
    expect(texts[1]).toContain('YearReportGenerator');
    expect(texts[1]).toContain('pc-7');
    for (const text of texts) expect(text).toContain('Report Studio');
    // The license cell leads to the key's page.
    await rows.nth(1).getByRole('link', { name: key }).click();
    await page.getByRole('heading', { name: key, level: 1 }).waitFor();
    expect(pageErrors).toEqual([]);
  });

  it('filters by product and feature, and says when nothing matches', async () => {
    await nav('Analytics');
    await page.locator('table tbody tr').first().waitFor();
    await page.getByLabel('Feature').fill('YearReportGenerator');
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    await page.waitForURL(/featureName=YearReportGenerator/);
    await expect.poll(() => page.locator('table tbody tr').count()).toBe(1);
    await page.getByLabel('Product').selectOption({ label: 'Other App' });
    await page.getByText('No events match').waitFor();
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(() => page.locator('table tbody tr').count()).toBe(2);
    expect(new URL(page.url()).searchParams.get('productId')).toBeNull();
    expect(productId).toBeGreaterThan(0);
    expect(pageErrors).toEqual([]);
  });
});
