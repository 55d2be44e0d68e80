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
 * Searching in the dashboard, in a real browser (Debian's Chromium, headless) against a real server process:
 * a license found by a lower-case fragment from the middle of its key, typed without dashes; its events
 * found by its key.
 */

const EMAIL = 'search@example.com';
const PASSWORD = 'search test password';
const KEY = 'JNQN5-DZ45R-ABCDE-FGHJK';

describe.skipIf(!hasChromium)('searching in the dashboard', () => {
  let dir: string;
  let server: ServerProcess;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  let licenseId: number;

  const api = (method: string, path: string, body?: unknown) =>
    adminApi(server.url, PROCESS_ADMIN_TOKEN)(method, path, body);
  const nav = (label: string) =>
    page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label }).click();

  beforeAll(async () => {
    // The pages under test, built from the sources as they are now.
    run('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: DASHBOARD_DIR });
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'keyward-search-browser-'));
    const databaseUrl = join(dir, 'keyward.sqlite');
    run(process.execPath, [CLI, 'user', 'create', '--email', EMAIL, '--role', 'admin'], {
      cwd: PACKAGE_DIR,
      env: { ...process.env, DATABASE_URL: databaseUrl, KEYWARD_SECRET: PROCESS_SECRET, LOG_LEVEL: 'warn' },
      input: `${PASSWORD}\n`,
    });
    const [port] = (await freePorts(1)) as [number];
    server = startServerProcess({ port, databaseUrl });
    await waitUntilReady(server);
    const product = await api('POST', '/products', { name: 'Search App' });
    const policy = await api('POST', '/policies', { productId: product.id, name: 'Standard' });
    // Decoys around the key: one shares its beginning, one all of the fragment searched for but its last letter.
    await api('POST', '/licenses/batch', { policyId: policy.id, count: 50 });
    await api('POST', '/licenses', { policyId: policy.id, key: 'JNQN5-AAAAA-BBBBB-CCCCC' });
    await api('POST', '/licenses', { policyId: policy.id, key: 'QDZ45-RABXX-DDDDD-EEEEE' });
    licenseId = (await api('POST', '/licenses', { policyId: policy.id, key: KEY })).id;
    await api('POST', '/licenses/batch', { policyId: policy.id, count: 50 });
    await api('POST', `/licenses/${licenseId}/actions/suspend`, {});
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

  it('finds a license by a lower-case fragment from the middle of its key, typed without dashes', async () => {
    await nav('Licenses');
    await page.getByRole('table').waitFor();
    await page.getByLabel('Key or email').fill('dz45rabc');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const link = page.getByRole('link', { name: KEY });
    await link.waitFor();
    expect(await page.locator('table.licenses tbody tr').count()).toBe(1);
    expect(new URL(page.url()).searchParams.get('q')).toBe('dz45rabc');
    await link.click();
    await page.getByRole('heading', { name: KEY, level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/licenses/${licenseId}`);
    expect(pageErrors).toEqual([]);
  });

  it('filters the event log by a key typed in lower case without dashes', async () => {
    await nav('Events');
    await page.getByRole('cell', { name: 'license.suspended' }).waitFor();
    await page.getByLabel('License id or key').fill(KEY.toLowerCase().replaceAll('-', ''));
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    await page.waitForURL(/[?&]key=/);
    const rows = page.locator('table tbody tr');
    // The unfiltered log, whose rows other licenses' events fill, is still on the page until the filtered one
    // replaces it: wait for those rows to go before reading what is left.
    await rows
      .filter({ hasNotText: new RegExp(`license #${licenseId}(?!\\d)`) })
      .first()
      .waitFor({ state: 'detached' });
    await rows.filter({ hasText: 'license.created' }).waitFor();
    expect(await rows.allTextContents()).toEqual([
      expect.stringContaining('license.suspended'),
      expect.stringContaining('license.created'),
    ]);
    for (const text of await rows.allTextContents()) expect(text).toContain(`license #${licenseId}`);
    // A key no license has says so, instead of an empty log.
    await page.getByLabel('License id or key').fill('NOPE-NOPE');
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    await page.getByText(/no such license/i).waitFor();
    expect(pageErrors).toEqual([]);
  });
});
