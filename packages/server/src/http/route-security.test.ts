import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ROUTE_SECURITY_CASES, routeKey, SECURITY_GROUPS } from '../test-support/route-security.js';
import { createTestApp, type TestApp } from '../test-support/test-app.js';
import type { AuthRequirement } from './fastify-context.js';
import { isIdempotentRoute } from './plugins/idempotency.js';

interface CapturedRoute {
  method: string;
  url: string;
  auth: AuthRequirement | undefined;
  idempotent: boolean | undefined;
}

// Every route the app registers, seen through an onRoute hook added to each Fastify instance the moment
// build-app creates it — so a route hidden from the OpenAPI document is enumerated too.
const captured = vi.hoisted(() => [] as CapturedRoute[]);
vi.mock('fastify', async (importOriginal) => {
  const original = await importOriginal<typeof import('fastify')>();
  const factory = ((options?: Parameters<typeof original.default>[0]) => {
    const app = original.default(options);
    app.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) {
        if (method !== 'HEAD')
          captured.push({
            method,
            url: route.url,
            auth: route.config?.auth,
            idempotent: route.config?.idempotent,
          });
      }
    });
    return app;
  }) as typeof original.default;
  return { ...original, default: factory };
});

describe('every native API route has a security case', () => {
  let t: TestApp;
  let v1: CapturedRoute[];
  beforeAll(async () => {
    t = await createTestApp();
    v1 = captured.filter((r) => r.url.startsWith('/v1'));
  });
  afterAll(() => t.dispose());

  it('enumerates the routes of the app', () => {
    // A broken capture would make the checks below pass vacuously.
    expect(v1.length).toBeGreaterThanOrEqual(40);
    expect(captured.map((r) => routeKey(r.method, r.url))).toContain('GET /healthz');
  });

  it('covers each /v1 route with a case in the security table', () => {
    const covered = new Set(ROUTE_SECURITY_CASES.map((c) => routeKey(c.method, c.route)));
    const missing = v1.map((r) => routeKey(r.method, r.url)).filter((key) => !covered.has(key));
    expect(missing, 'add these routes to ROUTE_SECURITY_CASES in test-support/route-security.ts').toEqual([]);
  });

  it('has no case for a route that does not exist', () => {
    const existing = new Set(v1.map((r) => routeKey(r.method, r.url)));
    const stale = ROUTE_SECURITY_CASES.map((c) => routeKey(c.method, c.route)).filter(
      (k) => !existing.has(k),
    );
    expect(stale).toEqual([]);
  });

  it('declares the scope and license-key acceptance each route really demands', () => {
    for (const route of v1) {
      const routeCase = ROUTE_SECURITY_CASES.find((c) => c.method === route.method && c.route === route.url);
      if (!routeCase) continue;
      const where = routeKey(route.method, route.url);
      if (route.auth === 'public') {
        expect(routeCase.scope, where).toBe('public');
        continue;
      }
      expect(route.auth, where).toBeDefined();
      expect(routeCase.scope, where).toBe(route.auth?.scope);
      expect(routeCase.licenseKey ?? false, where).toBe(route.auth?.license ?? false);
      expect(routeCase.anonymous !== undefined, where).toBe(route.auth?.optional ?? false);
      expect(routeCase.operation, where).toBe(route.auth?.method);
    }
  });

  it('runs each group of the table from its route test file', () => {
    for (const group of new Set(ROUTE_SECURITY_CASES.map((c) => c.group))) {
      expect(SECURITY_GROUPS).toContain(group);
      const file = new URL(`./native/routes/${group}.test.ts`, import.meta.url);
      const source = readFileSync(file, 'utf8');
      expect(source, `${group}.test.ts must call describeRouteSecurity('${group}')`).toMatch(
        new RegExp(`describeRouteSecurity\\(\\s*'${group}'`),
      );
    }
  });

  it('makes every write of the native API honour Idempotency-Key, but signing in and out and validations', async () => {
    const writes = v1.filter((r) => r.method !== 'GET');
    const exempt = writes.filter((r) => !isIdempotentRoute({ ...r, config: { idempotent: r.idempotent } }));
    expect(exempt.map((r) => routeKey(r.method, r.url)).sort()).toEqual([
      'DELETE /v1/session',
      'POST /v1/licenses/:id/actions/validate',
      'POST /v1/licenses/actions/validate-key',
      'POST /v1/session',
    ]);
    // The OpenAPI document shows the header on each of them (plugins/idempotency.ts adds it).
    const document = (await t.call({ method: 'GET', url: '/openapi.json', token: null })).json() as {
      paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string }> }>>;
    };
    const undocumented = writes
      .filter((r) => !exempt.includes(r))
      .filter((r) => {
        const path = r.url.replace(/:(\w+)/g, '{$1}');
        const operation = document.paths[path]?.[r.method.toLowerCase()];
        return !operation?.parameters?.some((p) => p.in === 'header' && p.name === 'idempotency-key');
      });
    expect(undocumented.map((r) => routeKey(r.method, r.url))).toEqual([]);
  });

  it('documents every /v1 route in the OpenAPI document, which the bad-input table walks', async () => {
    const document = (await t.call({ method: 'GET', url: '/openapi.json', token: null })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = new Set(
      Object.entries(document.paths).flatMap(([path, operations]) =>
        Object.keys(operations).map((method) =>
          routeKey(method.toUpperCase(), path.replace(/\{(\w+)\}/g, ':$1')),
        ),
      ),
    );
    expect(v1.map((r) => routeKey(r.method, r.url)).filter((key) => !documented.has(key))).toEqual([]);
  });
});
