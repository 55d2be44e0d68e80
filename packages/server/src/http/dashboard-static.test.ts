import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_SECTIONS, registerDashboard } from './dashboard-static.js';
import type { App } from './fastify-context.js';

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

  it('leaves the API and missing files to the not-found handler', async () => {
    const app = await appFor(join(dir, 'built'));
    expect((await app.inject({ url: '/v1/products' })).json()).toEqual({ data: [] });
    for (const url of ['/v1/nothing', '/public/v1/x', '/cryptolens/api/x', '/api/rest/x', '/missing.png']) {
      const answer = await app.inject({ url });
      expect(answer.statusCode, url).toBe(404);
      expect(answer.body, url).not.toContain('<title>dashboard</title>');
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
    expect((await app.inject({ url: '/v1/products' })).statusCode).toBe(200);
    await app.close();
  });
});
