import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { encodeOfflineRequest } from '../../core/signing/offline-exchange.js';
import {
  activate,
  createLicense,
  expectError,
  expectStatus,
  type Json,
  post,
  productWithPolicy,
} from '../../test-support/native-calls.js';
import {
  type PortalClient,
  requestLink,
  setUpPortal,
  signInMessages,
  signInToPortal,
  TEST_PUBLIC_URL,
} from '../../test-support/portal.js';
import { rowCounts } from '../../test-support/row-counts.js';
import { createTestApp, type TestApp } from '../../test-support/test-app.js';
import { testDialects } from '../../test-support/test-store.js';

/**
 * One customer reaches nothing of another's, on every portal route, and a caller without a session reaches
 * nothing at all. The routes are enumerated from the app as it registers them (an onRoute hook on every Fastify
 * instance), so a new portal route without a case here fails the first test.
 */

const captured = vi.hoisted(() => [] as Array<{ method: string; url: string }>);
vi.mock('fastify', async (importOriginal) => {
  const original = await importOriginal<typeof import('fastify')>();
  const factory = ((options?: Parameters<typeof original.default>[0]) => {
    const app = original.default(options);
    app.addHook('onRoute', (route) => {
      for (const method of [route.method].flat())
        if (method !== 'HEAD') captured.push({ method, url: route.url });
    });
    return app;
  }) as typeof original.default;
  return { ...original, default: factory };
});

interface Customer {
  email: string;
  licenseIds: number[];
  keys: string[];
  machineIds: number[];
  fingerprints: string[];
}

interface Context {
  t: TestApp;
  a: Customer;
  b: Customer;
  /** Customer A, signed in. */
  asA: PortalClient;
  /** Customer B, signed in: B's session must survive whatever A does. */
  asB: PortalClient;
}

interface PortalRouteCase {
  method: string;
  route: string;
  /** A request with no session (and no CSRF token): what it gets. */
  anonymous(ctx: Context): Promise<LightMyRequestResponse>;
  anonymousAnswer: { status: number; code?: string };
  /** Customer A aiming at B's things: asserts that A gets nothing of B's and changes nothing of B's. */
  aAtB(ctx: Context): Promise<void>;
}

const offlineRequest = (
  ctx: Context,
  input: { type: 'activation'; key: string } | { type: 'deactivation'; key: string; machineId: number },
  fingerprint: string,
) =>
  encodeOfflineRequest({
    ...input,
    fingerprint,
    nonce: `nonce-${fingerprint}-${Math.random().toString(36).slice(2)}`,
    requestedAt: ctx.t.clock.now(),
  } as Parameters<typeof encodeOfflineRequest>[0]);

/** B's machines still active, counted from B's own view. */
async function expectBUntouched(ctx: Context): Promise<void> {
  const { items } = await expectStatus(ctx.asB.call({ method: 'GET', url: '/portal/api/licenses' }), 200);
  expect(items.map((l: Json) => l.id)).toEqual(ctx.b.licenseIds);
  expect(items.flatMap((l: Json) => l.machines.map((m: Json) => m.id)).sort()).toEqual(
    [...ctx.b.machineIds].sort(),
  );
}

/** The same answer as for something that does not exist: status, code and message. */
async function expectSameAsMissing(
  toB: Promise<LightMyRequestResponse>,
  toNothing: Promise<LightMyRequestResponse>,
  status: number,
  code: string,
): Promise<void> {
  const b = await expectError(toB, status, code);
  const missing = await expectError(toNothing, status, code);
  expect(b.message).toBe(missing.message);
}

const anon = (ctx: Context, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
  ctx.t.app.inject({ method, url, ...(payload ? { payload } : {}) });

const CASES: PortalRouteCase[] = [
  {
    method: 'GET',
    route: '/portal/api/branding',
    anonymous: (ctx) => anon(ctx, 'GET', '/portal/api/branding'),
    anonymousAnswer: { status: 200 },
    aAtB: async (ctx) => {
      const body = await expectStatus(ctx.asA.call({ method: 'GET', url: '/portal/api/branding' }), 200);
      expect(Object.keys(body).sort()).toEqual(
        ['accentColor', 'allowedActions', 'displayName', 'isEnabled', 'logoDataUrl', 'primaryColor'].sort(),
      );
      expect(JSON.stringify(body)).not.toContain(ctx.b.email);
    },
  },
  {
    method: 'POST',
    route: '/portal/api/sign-in-links',
    anonymous: (ctx) => anon(ctx, 'POST', '/portal/api/sign-in-links', { email: 'nobody@example.com' }),
    anonymousAnswer: { status: 202 },
    aAtB: async (ctx) => {
      // Asking for B's link mails B, never the asker; the answer says nothing A did not know.
      ctx.t.clock.advance(5);
      const answer = await ctx.asA.call({
        method: 'POST',
        url: '/portal/api/sign-in-links',
        payload: { email: ctx.b.email },
      });
      expect(answer.statusCode).toBe(202);
      expect(answer.body).not.toContain('kwl_');
      const [message] = await signInMessages(ctx.t);
      expect(message?.to).toBe(ctx.b.email);
      expect(answer.headers['set-cookie']).toBeUndefined();
    },
  },
  {
    method: 'POST',
    route: '/portal/api/sessions',
    anonymous: (ctx) => anon(ctx, 'POST', '/portal/api/sessions', { token: `kwl_${'x'.repeat(43)}` }),
    anonymousAnswer: { status: 401, code: 'UNAUTHENTICATED' },
    aAtB: async (ctx) => {
      // A session gives no power over links: A cannot redeem without B's token, whatever A's cookie.
      await expectError(
        ctx.asA.call({
          method: 'POST',
          url: '/portal/api/sessions',
          payload: { token: `kwl_${'y'.repeat(43)}` },
        }),
        401,
        'UNAUTHENTICATED',
      );
    },
  },
  {
    method: 'GET',
    route: '/portal/api/session',
    anonymous: (ctx) => anon(ctx, 'GET', '/portal/api/session'),
    anonymousAnswer: { status: 401, code: 'UNAUTHENTICATED' },
    aAtB: async (ctx) => {
      const body = await expectStatus(ctx.asA.call({ method: 'GET', url: '/portal/api/session' }), 200);
      expect(body.email).toBe(ctx.a.email);
    },
  },
  {
    method: 'DELETE',
    route: '/portal/api/session',
    anonymous: (ctx) => anon(ctx, 'DELETE', '/portal/api/session'),
    anonymousAnswer: { status: 401, code: 'UNAUTHENTICATED' },
    aAtB: async (ctx) => {
      // Signing A out leaves B signed in (and A signs in again for the cases after).
      const other = await signInToPortal(ctx.t, ctx.a.email);
      await expectStatus(other.call({ method: 'DELETE', url: '/portal/api/session' }), 200);
      await expectError(other.call({ method: 'GET', url: '/portal/api/session' }), 401, 'UNAUTHENTICATED');
      await expectStatus(ctx.asB.call({ method: 'GET', url: '/portal/api/session' }), 200);
      await expectStatus(ctx.asA.call({ method: 'GET', url: '/portal/api/session' }), 200);
    },
  },
  {
    method: 'GET',
    route: '/portal/api/licenses',
    anonymous: (ctx) => anon(ctx, 'GET', '/portal/api/licenses'),
    anonymousAnswer: { status: 401, code: 'UNAUTHENTICATED' },
    aAtB: async (ctx) => {
      const answer = await ctx.asA.call({ method: 'GET', url: '/portal/api/licenses' });
      const { items } = await expectStatus(answer, 200);
      expect(items.map((l: Json) => l.id)).toEqual(ctx.a.licenseIds);
      for (const secret of [...ctx.b.keys, ...ctx.b.fingerprints, ctx.b.email])
        expect(answer.body).not.toContain(secret);
    },
  },
  {
    method: 'POST',
    route: '/portal/api/machines/:id/deactivate',
    anonymous: (ctx) => anon(ctx, 'POST', `/portal/api/machines/${ctx.b.machineIds[0]}/deactivate`),
    anonymousAnswer: { status: 401, code: 'UNAUTHENTICATED' },
    aAtB: async (ctx) => {
      await expectSameAsMissing(
        ctx.asA.call({ method: 'POST', url: `/portal/api/machines/${ctx.b.machineIds[0]}/deactivate` }),
        ctx.asA.call({ method: 'POST', url: '/portal/api/machines/999999/deactivate' }),
        404,
        'MACHINE_NOT_FOUND',
      );
    },
  },
  {
    method: 'POST',
    route: '/portal/api/licenses/:id/license-file',
    anonymous: (ctx) =>
      anon(ctx, 'POST', `/portal/api/licenses/${ctx.b.licenseIds[0]}/license-file`, {
        fingerprint: ctx.b.fingerprints[0],
      }),
    anonymousAnswer: { status: 401, code: 'UNAUTHENTICATED' },
    aAtB: async (ctx) => {
      await expectSameAsMissing(
        ctx.asA.call({
          method: 'POST',
          url: `/portal/api/licenses/${ctx.b.licenseIds[0]}/license-file`,
          payload: { fingerprint: ctx.b.fingerprints[0] },
        }),
        ctx.asA.call({
          method: 'POST',
          url: '/portal/api/licenses/999999/license-file',
          payload: { fingerprint: ctx.b.fingerprints[0] },
        }),
        404,
        'LICENSE_NOT_FOUND',
      );
    },
  },
  {
    method: 'POST',
    route: '/portal/api/offline-responses',
    anonymous: (ctx) =>
      anon(ctx, 'POST', '/portal/api/offline-responses', {
        request: offlineRequest(ctx, { type: 'activation', key: ctx.b.keys[0] as string }, 'anon-pc'),
      }),
    anonymousAnswer: { status: 401, code: 'UNAUTHENTICATED' },
    aAtB: async (ctx) => {
      const at = (request: string) =>
        ctx.asA.call({ method: 'POST', url: '/portal/api/offline-responses', payload: { request } });
      await expectSameAsMissing(
        at(offlineRequest(ctx, { type: 'activation', key: ctx.b.keys[0] as string }, 'a-sneaks-in')),
        at(offlineRequest(ctx, { type: 'activation', key: 'NO-SUCH-KEY-0000' }, 'a-sneaks-in')),
        404,
        'LICENSE_NOT_FOUND',
      );
      await expectSameAsMissing(
        at(
          offlineRequest(
            ctx,
            { type: 'deactivation', key: ctx.b.keys[0] as string, machineId: ctx.b.machineIds[0] as number },
            ctx.b.fingerprints[0] as string,
          ),
        ),
        at(
          offlineRequest(
            ctx,
            { type: 'deactivation', key: 'NO-SUCH-KEY-0000', machineId: ctx.b.machineIds[0] as number },
            ctx.b.fingerprints[0] as string,
          ),
        ),
        404,
        'LICENSE_NOT_FOUND',
      );
    },
  },
];

const keyOf = (method: string, url: string) => `${method} ${url}`;

for (const dialect of await testDialects()) {
  describe(`customer portal security (${dialect})`, () => {
    const ctx = {} as Context;
    beforeAll(async () => {
      const t = await createTestApp(dialect, { publicUrl: TEST_PUBLIC_URL });
      ctx.t = t;
      await setUpPortal(t);
      const { policy } = await productWithPolicy(t, { maxMachines: 5 });
      const customer = async (name: string): Promise<Customer> => {
        const email = `${name}@example.com`;
        const record = await post(t, '/v1/customers', { name, email });
        const viaCustomer = await createLicense(t, policy.id, { customerId: record.id });
        const viaEmail = await createLicense(t, policy.id, { email: email.toUpperCase() });
        const fingerprints = [`${name}-pc-1`, `${name}-pc-2`, `${name}-pc-3`];
        const machineIds = [
          (await activate(t, viaCustomer.id, fingerprints[0] as string)).id,
          (await activate(t, viaCustomer.id, fingerprints[1] as string)).id,
          (await activate(t, viaEmail.id, fingerprints[2] as string)).id,
        ];
        return {
          email,
          licenseIds: [viaCustomer.id, viaEmail.id],
          keys: [viaCustomer.key, viaEmail.key],
          machineIds,
          fingerprints,
        };
      };
      ctx.a = await customer('alice');
      ctx.b = await customer('bob');
      ctx.asA = await signInToPortal(t, ctx.a.email);
      ctx.asB = await signInToPortal(t, ctx.b.email);
    });
    afterAll(() => ctx.t.dispose());

    it('has a case for every portal route, and none for a route that does not exist', () => {
      const portal = [
        ...new Set(
          captured.filter((r) => r.url.startsWith('/portal/api')).map((r) => keyOf(r.method, r.url)),
        ),
      ];
      expect(portal.length).toBeGreaterThanOrEqual(9);
      const covered = CASES.map((c) => keyOf(c.method, c.route));
      expect(
        portal.filter((route) => !covered.includes(route)),
        'add a case to CASES',
      ).toEqual([]);
      expect(covered.filter((route) => !portal.includes(route))).toEqual([]);
    });

    it.each(CASES)('$method $route: without a session reaches nothing', async (c) => {
      const before = await rowCounts(ctx.t.store);
      const answer = await c.anonymous(ctx);
      expect(answer.statusCode, answer.body).toBe(c.anonymousAnswer.status);
      if (c.anonymousAnswer.code) expect(answer.json().error.code).toBe(c.anonymousAnswer.code);
      expect(answer.body).not.toContain(ctx.b.keys[0]);
      expect(answer.body).not.toContain(ctx.a.keys[0]);
      expect(await rowCounts(ctx.t.store)).toEqual(before);
      await expectBUntouched(ctx);
    });

    it.each(CASES)("$method $route: customer A reaches nothing of B's", async (c) => {
      const before = await rowCounts(ctx.t.store);
      await c.aAtB(ctx);
      const after = await rowCounts(ctx.t.store);
      // Only sign-in requests and sign-ins record anything (an event); nothing of B's changes.
      if (!['/portal/api/sign-in-links', '/portal/api/session'].includes(c.route))
        expect(after).toEqual(before);
      await expectBUntouched(ctx);
    });

    it("refuses a change carried by A's cookie without A's CSRF token", async () => {
      const own = ctx.a.machineIds[0] as number;
      for (const headers of [{ 'x-csrf-token': '' }, { 'x-csrf-token': ctx.asB.csrfToken }])
        await expectError(
          ctx.asA.call({ method: 'POST', url: `/portal/api/machines/${own}/deactivate`, headers }),
          403,
          'FORBIDDEN',
        );
      // A's own machine stays: the refusal wrote nothing.
      const { items } = await expectStatus(ctx.asA.call({ method: 'GET', url: '/portal/api/licenses' }), 200);
      expect(items[0].machines.map((m: Json) => m.id)).toContain(own);
    });

    it("answers the same for B's address as for an unknown one", async () => {
      ctx.t.clock.advance(5);
      const b = await requestLink(ctx.t, ctx.b.email, '192.0.2.50');
      const unknown = await requestLink(ctx.t, 'unknown@example.com', '192.0.2.51');
      expect([b.statusCode, b.body]).toEqual([unknown.statusCode, unknown.body]);
    });
  });
}
