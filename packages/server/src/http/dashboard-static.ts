import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyRequest } from 'fastify';
import type { App } from './fastify-context.js';
import type { NotFoundPage } from './plugins/error-handler.js';

/** The dashboard's build, found beside the server package in the repository (packages/dashboard/dist). */
export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../../dashboard/dist/', import.meta.url));

/**
 * The dashboard's client-side sections (packages/dashboard/src/app.tsx). Only these get the page: a
 * catch-all route would also swallow unknown paths under /public/v1 or /api/rest, which each dialect must
 * answer with a 404 in its own envelope.
 */
export const DASHBOARD_SECTIONS = [
  'products',
  'licenses',
  'customers',
  'events',
  'tokens',
  'webhooks',
  'signing-keys',
  'license-templates',
  'resellers',
  'imports',
  'messages',
  'offline',
  'users',
  'analytics',
  'customer-portal',
  'email',
  'payments',
] as const;

/**
 * Paths of the APIs and the server's own documents. A request under one of them that matches no route gets
 * its surface's 404 (JSON, or a dialect's envelope), never the dashboard's page.
 */
export const NON_PAGE_PREFIXES = [
  '/v1',
  '/public',
  '/cryptolens',
  '/api',
  '/limelm',
  '/docs',
  '/assets',
  '/portal/api',
] as const;

/**
 * Whether a request that matched no route is a browser opening a page (a link to a dashboard page that does
 * not exist, or a mistyped address): a GET or HEAD that accepts HTML, outside the APIs, for no file.
 */
export function wantsDashboardPage(request: FastifyRequest): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  const path = request.url.split('?')[0] ?? '';
  if (NON_PAGE_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`))) return false;
  // A missing file (favicon.ico, robots.txt, an old asset) answers 404 without a page.
  if (/\.[A-Za-z0-9]+$/.test(path)) return false;
  const accept = request.headers.accept;
  return typeof accept === 'string' && /(^|,)\s*text\/html\s*(;|,|$)/i.test(accept);
}

/**
 * The dashboard's page for a browser that asked for a path no route serves, with status 404, so the page itself
 * says "page not found" instead of a JSON error; undefined (the JSON 404) for everything else, and when the
 * dashboard is not built.
 */
export function dashboardNotFoundPage(directory: string = DEFAULT_DASHBOARD_DIR): NotFoundPage {
  const built = existsSync(`${directory}/index.html`);
  return (request, reply) => {
    if (!built || !wantsDashboardPage(request)) return undefined;
    return reply.status(404).header('cache-control', 'no-cache').sendFile('index.html', directory);
  };
}

/**
 * Serves the web dashboard at `/`: its hashed assets cached for a year, and index.html (never cached) for
 * every other page path, so the browser's client-side routes survive a reload. Without a build the server
 * still runs and `/` says how to make one.
 */
export async function registerDashboard(app: App, directory: string = DEFAULT_DASHBOARD_DIR): Promise<void> {
  const built = existsSync(`${directory}/index.html`);
  if (!built) {
    app.log.warn(
      { directory },
      'the dashboard is not built, so / serves no dashboard; run `npm run build` in the repository root',
    );
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply
        .status(503)
        .type('text/plain; charset=utf-8')
        .send(
          'The Keyward dashboard is not built. Run `npm run build` in the repository (or `npm start`, which ' +
            'builds first), then restart the server. The API works meanwhile: see /docs.\n',
        ),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root: directory,
    prefix: '/',
    wildcard: false,
    index: false,
    setHeaders: (res, path) => {
      res.header(
        'cache-control',
        /[\\/]assets[\\/]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
  const page = async (_request: unknown, reply: import('fastify').FastifyReply) =>
    reply.header('cache-control', 'no-cache').sendFile('index.html');
  app.get('/', { schema: { hide: true } }, page);
  for (const section of DASHBOARD_SECTIONS) {
    app.get(`/${section}`, { schema: { hide: true } }, page);
    app.get(`/${section}/*`, { schema: { hide: true } }, page);
  }
}

/** The customer portal's pages: its own entry of the dashboard's build (portal.html), in the vendor's branding. */
export const PORTAL_PAGES = ['/portal', '/portal/', '/portal/sign-in'] as const;

/**
 * Serves the customer portal's page (its assets are the dashboard's, under /assets). Registered after the
 * dashboard, whose static files plugin gives replies `sendFile`. Without a build, the pages say how to make one.
 */
export function registerPortalPage(app: App, directory: string = DEFAULT_DASHBOARD_DIR): void {
  const built = existsSync(`${directory}/portal.html`);
  for (const path of PORTAL_PAGES) {
    app.get(path, { schema: { hide: true } }, async (_request, reply) =>
      built
        ? reply.header('cache-control', 'no-cache').sendFile('portal.html', directory)
        : reply
            .status(503)
            .type('text/plain; charset=utf-8')
            .send(
              'The customer portal is not built. Run `npm run build` in the repository, then restart the server.\n',
            ),
    );
  }
}
