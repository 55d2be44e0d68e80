import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_SECTIONS, dashboardNotFoundPage, registerDashboard } from './dashboard-static.js';
import type { App } from './fastify-context.js';
import { registerErrorHandler } from './plugins/error-handler.js';

describe('serving the dashboard', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'keyward-dashboard-'));
    mkdirSync(join(dir, 'built/assets'), { recursive: true });
    writeFileSync(join(dir, 'built/index.html'), '<!doctype html><title>dashboard</title>');
    writeFileSync(join(dir, 'built/assets/index-abc123.js'), 'console.log(1)');
    writeFileSync(join(dir, 'built/favicon.svg'), '<svg/>');
    mkdirSync(join(dir, 'empty'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const appFor = async (directory: string) => {
    const app = Fastify();
    registerErrorHandler(app, { notFoundPage: dashboardNotFoundPage(directory) });
    app.get('/v1/products', async () => ({ data: [] }));
    await registerDashboard(app as unknown as App, directory);
    return app;
  };

  it('serves index.html for / and client routes, uncached; hashed assets for a year', async () => {
    const app = await appFor(join(dir, 'built'));
    for (const url of ['/', '/licenses', '/licenses/42?q=x', '/products/1']) {
      const page = await app.inject({ url });
      expect(page.statusCode, url).toBe(200);
      expect(page.headers['content-type']).toMatch(/text\/html/);
      expect(page.headers['cache-control']).toBe('no-cache');
      expect(page.body).toContain('<title>dashboard</title>');
    }
    const asset = await app.inject({ url: '/assets/index-abc123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await app.inject({ url: '/favicon.svg' })).statusCode).toBe(200);
    await app.close();
  });

  const BROWSER = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

  it('leaves the API and missing files to the not-found handler, also for a browser', async () => {
    const app = await appFor(join(dir, 'built'));
    expect((await app.inject({ url: '/v1/products' })).json()).toEqual({ data: [] });
    const urls = ['/v1/nothing', '/public/v1/x', '/cryptolens/api/x', '/api/rest/x', '/missing.png'];
    for (const url of [...urls, '/docs/x', '/assets/old-123.js', '/favicon.ico', '/v1']) {
      for (const headers of [{}, BROWSER]) {
        const answer = await app.inject({ url, headers });
        expect(answer.statusCode, url).toBe(404);
        expect(answer.body, url).not.toContain('<title>dashboard</title>');
        expect(answer.json().error.code, url).toBe('NOT_FOUND');
      }
    }
    await app.close();
  });

  it('gives a browser the page, with status 404, for an address no route serves', async () => {
    const app = await appFor(join(dir, 'built'));
    for (const url of ['/no-such-page', '/licences/12', '/products-old?x=1', '/a/b/c']) {
      const page = await app.inject({ url, headers: BROWSER });
      expect(page.statusCode, url).toBe(404);
      expect(page.headers['content-type'], url).toMatch(/text\/html/);
      expect(page.headers['cache-control'], url).toBe('no-cache');
      expect(page.body, url).toContain('<title>dashboard</title>');
      // A program that asked for JSON (or anything) still gets the JSON 404.
      for (const accept of [undefined, 'application/json', '*/*']) {
        const answer = await app.inject({ url, headers: accept ? { accept } : {} });
        expect(answer.statusCode, url).toBe(404);
        expect(answer.json().error.code, url).toBe('NOT_FOUND');
      }
      // Only reads get a page.
      const post = await app.inject({ method: 'POST', url, headers: BROWSER });
      expect(post.json().error.code).toBe('NOT_FOUND');
    }
    await app.close();
  });

  it('serves the page for exactly the sections the dashboard navigates to', () => {
    const appSource = readFileSync(join(import.meta.dirname, '../../../dashboard/src/app.tsx'), 'utf8');
    const sections = [...appSource.matchAll(/href: '\/([a-z-]+)'/g)].map((match) => match[1]);
    expect([...DASHBOARD_SECTIONS].sort()).toEqual(sections.sort());
  });

  it('still starts without a build and says at / how to make one', async () => {
    const app = await appFor(join(dir, 'empty'));
    const root = await app.inject({ url: '/' });
    expect(root.statusCode).toBe(503);
    expect(root.body).toContain('npm run build');
    const unknown = await app.inject({ url: '/no-such-page', headers: BROWSER });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('NOT_FOUND');
    expect((await app.inject({ url: '/v1/products' })).statusCode).toBe(200);
    await app.close();
  });
});
