import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../core/access/actor.js';
import { operatorPrincipal } from '../core/access/principal.js';
import { SCOPES, type Scope } from '../core/access/scopes.js';
import type { TokenInput } from '../core/access/token-grant.js';
import { encodeOfflineRequest } from '../core/signing/offline-exchange.js';
import { EMAIL_SECURITY_CASES } from './email-security-cases.js';
import { INTEGRATION_SECURITY_CASES } from './integration-security-cases.js';
import type {
  Expectation,
  HttpMethod,
  RouteSecurityCase,
  SecurityContext,
  SecurityFixture,
  SecurityGroup,
  SecurityRequest,
} from './route-security-case.js';
import { rowCounts } from './row-counts.js';
import { createTestApp, type TestApp } from './test-app.js';
import type { TestDialect } from './test-store.js';

/**
 * The one security table of the native API and the checks every route gets from it. Each /v1 route has a
 * case here (route-security.test.ts fails when one is missing), and each route test file runs its group
 * through `describeRouteSecurity`, so no route can skip the authentication and authorization checks.
 *
 * What the code answers, and so what the checks expect:
 * - no, malformed, unknown, revoked or expired credential: 401 UNAUTHENTICATED;
 * - a token without the route's scope, an IP allow-list without the caller, a license key where the route
 *   takes none or whose policy does not allow it as credential: 403 FORBIDDEN;
 * - a token holding the scope but locked to another product or license learns nothing about whether the
 *   target exists: its answer is exactly the answer for a target that does not exist (the same status, code
 *   and message), a 404 for a thing it may not see or a 403 for a kind of thing it may not touch at all. List
 *   routes instead answer 200 and leave out what the lock does not reach;
 * - a token whose method lock does not name the route's operation (`operation`): 403 FORBIDDEN.
 * Every refusal carries the error envelope and writes nothing (row counts, events included, stay put).
 */

export type {
  Expectation,
  HttpMethod,
  RouteSecurityCase,
  SecurityContext,
  SecurityFixture,
  SecurityGroup,
  SecurityRequest,
} from './route-security-case.js';
export { SECURITY_GROUPS } from './route-security-case.js';

const testActor: Actor = { tokenId: null, ip: null, via: 'test', principal: operatorPrincipal };

let counter = 0;
const unique = () => `${Date.now().toString(36)}-${(counter++).toString(36)}`;

/** Products, policies, licenses, a machine, a data object and a customer, built through the domain. */
export async function createSecurityContext(t: TestApp): Promise<SecurityContext> {
  const k = t.keyward;
  const product = await k.catalog.createProduct(testActor, { name: 'Secured product' });
  const other = await k.catalog.createProduct(testActor, { name: 'Other product' });
  const policy = await k.catalog.createPolicy(testActor, {
    productId: product.id,
    name: 'key as credential',
    maxMachines: 0,
    allowLicenseAuth: true,
  });
  const closedPolicy = await k.catalog.createPolicy(testActor, {
    productId: product.id,
    name: 'tokens only',
    maxMachines: 0,
    allowLicenseAuth: false,
  });
  const otherPolicy = await k.catalog.createPolicy(testActor, {
    productId: other.id,
    name: 'other',
    maxMachines: 0,
    allowLicenseAuth: true,
  });
  const license = await k.licenses.create(testActor, policy.id, {});
  const closed = await k.licenses.create(testActor, closedPolicy.id, {});
  const otherLicense = await k.licenses.create(testActor, otherPolicy.id, {});
  const machine = await k.machines.activate(testActor, license.id, { fingerprint: 'security-fixture' });
  const dataObject = await k.dataObjects.create(testActor, {
    ownerType: 'license',
    ownerId: license.id,
    name: 'fixture',
    intValue: 0,
    stringValue: '',
  });
  const customer = await k.customers.create(testActor, { name: 'Fixture customer' });
  return {
    t,
    unique,
    fx: {
      productId: product.id,
      otherProductId: other.id,
      policyId: policy.id,
      licenseId: license.id,
      licenseKey: license.key,
      closedLicenseKey: closed.key,
      otherLicenseId: otherLicense.id,
      otherLicenseKey: otherLicense.key,
      machineId: machine.machine.id,
      dataObjectId: dataObject.id,
      customerId: customer.id,
    },
    fresh: {
      product: async () => (await k.catalog.createProduct(testActor, { name: `p-${unique()}` })).id,
      policy: async () =>
        (await k.catalog.createPolicy(testActor, { productId: product.id, name: `pol-${unique()}` })).id,
      license: async () => {
        const created = await k.licenses.create(testActor, policy.id, {});
        return { id: created.id, key: created.key };
      },
      machine: async () =>
        (await k.machines.activate(testActor, license.id, { fingerprint: `m-${unique()}` })).machine.id,
      dataObject: async () =>
        (
          await k.dataObjects.create(testActor, {
            ownerType: 'license',
            ownerId: license.id,
            name: `d-${unique()}`,
            intValue: 0,
            stringValue: '',
          })
        ).id,
      customer: async () => (await k.customers.create(testActor, { name: `c-${unique()}` })).id,
      token: async () =>
        (
          await k.tokens.create(testActor, operatorPrincipal, {
            name: `t-${unique()}`,
            // No more power than the token managers the checks use (they hold tokens:write alone).
            scopes: ['tokens:write'],
          })
        ).token.id,
    },
  };
}

/** Issues a token through the domain, as POST /v1/tokens would. */
export async function issueToken(t: TestApp, input: Omit<TokenInput, 'name'> & { name?: string }) {
  const { secret, token } = await t.keyward.tokens.create(testActor, operatorPrincipal, {
    name: `test-${unique()}`,
    ...input,
  });
  return { secret, id: token.id };
}

const idsOf = (body: unknown): number[] => (body as { data: Array<{ id: number }> }).data.map((i) => i.id);

/** For list routes: a locked token gets 200 and a list without the fixture's item. */
const hides = (pick: (fx: SecurityFixture) => number, knownBug?: string): Expectation => ({
  status: 200,
  check: (body, fx) => expect(idsOf(body)).not.toContain(pick(fx)),
  ...(knownBug ? { knownBug } : {}),
});

/** Every route of the native API. Lock answers are 403 FORBIDDEN unless a case says otherwise. */
export const ROUTE_SECURITY_CASES: readonly RouteSecurityCase[] = [
  // products
  {
    group: 'products',
    method: 'POST',
    route: '/v1/products',
    scope: 'products:write',
    request: ({ unique }) => ({ url: '/v1/products', payload: { name: `p-${unique()}` } }),
  },
  {
    group: 'products',
    method: 'GET',
    route: '/v1/products',
    scope: 'products:read',
    request: () => ({ url: '/v1/products' }),
    productLocked: hides((fx) => fx.productId),
    licenseLocked: hides((fx) => fx.productId),
  },
  {
    group: 'products',
    method: 'GET',
    route: '/v1/products/:id',
    scope: 'products:read',
    request: ({ fx }) => ({ url: `/v1/products/${fx.productId}` }),
  },
  {
    group: 'products',
    method: 'PATCH',
    route: '/v1/products/:id',
    scope: 'products:write',
    request: ({ fx }) => ({ url: `/v1/products/${fx.productId}`, payload: { code: 'SECURED' } }),
  },
  {
    group: 'products',
    method: 'DELETE',
    route: '/v1/products/:id',
    scope: 'products:write',
    request: async ({ fresh }) => ({ url: `/v1/products/${await fresh.product()}` }),
  },
  // policies
  {
    group: 'policies',
    method: 'POST',
    route: '/v1/policies',
    scope: 'policies:write',
    request: ({ fx, unique }) => ({
      url: '/v1/policies',
      payload: { productId: fx.productId, name: `pol-${unique()}` },
    }),
  },
  {
    group: 'policies',
    method: 'GET',
    route: '/v1/policies',
    scope: 'policies:read',
    request: () => ({ url: '/v1/policies' }),
    productLocked: hides((fx) => fx.policyId),
    licenseLocked: hides((fx) => fx.policyId),
  },
  {
    group: 'policies',
    method: 'GET',
    route: '/v1/policies/:id',
    scope: 'policies:read',
    request: ({ fx }) => ({ url: `/v1/policies/${fx.policyId}` }),
  },
  {
    group: 'policies',
    method: 'PATCH',
    route: '/v1/policies/:id',
    scope: 'policies:write',
    request: async ({ fresh }) => ({
      url: `/v1/policies/${await fresh.policy()}`,
      payload: { isTrial: true },
    }),
  },
  {
    group: 'policies',
    method: 'DELETE',
    route: '/v1/policies/:id',
    scope: 'policies:write',
    request: async ({ fresh }) => ({ url: `/v1/policies/${await fresh.policy()}` }),
  },
  // customers: they span products, so every lock is refused
  {
    group: 'customers',
    method: 'POST',
    route: '/v1/customers',
    scope: 'customers:write',
    request: () => ({ url: '/v1/customers', payload: { name: 'Secure Ltd' } }),
  },
  {
    group: 'customers',
    method: 'GET',
    route: '/v1/customers',
    scope: 'customers:read',
    request: () => ({ url: '/v1/customers' }),
  },
  {
    group: 'customers',
    method: 'GET',
    route: '/v1/customers/:id',
    scope: 'customers:read',
    request: ({ fx }) => ({ url: `/v1/customers/${fx.customerId}` }),
  },
  {
    group: 'customers',
    method: 'PATCH',
    route: '/v1/customers/:id',
    scope: 'customers:write',
    request: ({ fx }) => ({ url: `/v1/customers/${fx.customerId}`, payload: { company: 'Secure Ltd' } }),
  },
  {
    group: 'customers',
    method: 'DELETE',
    route: '/v1/customers/:id',
    scope: 'customers:write',
    request: async ({ fresh }) => ({ url: `/v1/customers/${await fresh.customer()}` }),
  },
  // licenses
  {
    group: 'licenses',
    method: 'POST',
    route: '/v1/licenses',
    operation: 'key/createkey',
    scope: 'licenses:write',
    request: ({ fx }) => ({ url: '/v1/licenses', payload: { policyId: fx.policyId } }),
  },
  {
    group: 'licenses',
    method: 'POST',
    route: '/v1/licenses/batch',
    operation: 'key/createkey',
    scope: 'licenses:write',
    request: ({ fx }) => ({ url: '/v1/licenses/batch', payload: { policyId: fx.policyId, count: 2 } }),
  },
  {
    group: 'licenses',
    method: 'GET',
    route: '/v1/licenses',
    scope: 'licenses:read',
    request: () => ({ url: '/v1/licenses?limit=1000' }),
    productLocked: hides((fx) => fx.licenseId),
    licenseLocked: hides((fx) => fx.licenseId),
  },
  {
    group: 'licenses',
    method: 'GET',
    route: '/v1/licenses/:idOrKey',
    operation: 'key/getkey',
    scope: 'licenses:read',
    request: ({ fx }) => ({ url: `/v1/licenses/${encodeURIComponent(fx.licenseKey)}` }),
  },
  {
    group: 'licenses',
    method: 'PATCH',
    route: '/v1/licenses/:id',
    scope: 'licenses:write',
    request: ({ fx }) => ({ url: `/v1/licenses/${fx.licenseId}`, payload: { notes: 'patched' } }),
  },
  ...(['suspend', 'reinstate', 'revoke', 'reset', 'extend'] as const).map(
    (action): RouteSecurityCase => ({
      group: 'licenses',
      method: 'POST',
      route: `/v1/licenses/:id/actions/${action}`,
      scope: 'licenses:write',
      request: async ({ fresh }) => ({
        url: `/v1/licenses/${(await fresh.license()).id}/actions/${action}`,
        ...(action === 'extend' ? { payload: { seconds: 3600 } } : {}),
      }),
    }),
  ),
  {
    group: 'licenses',
    method: 'DELETE',
    route: '/v1/licenses/:id',
    scope: 'licenses:write',
    request: async ({ fresh }) => ({ url: `/v1/licenses/${(await fresh.license()).id}` }),
  },
  // validation
  {
    group: 'validation',
    method: 'POST',
    route: '/v1/licenses/:id/actions/validate',
    operation: 'key/getkey',
    scope: 'licenses:validate',
    licenseKey: true,
    request: ({ fx }) => ({ url: `/v1/licenses/${fx.licenseId}/actions/validate`, payload: { nonce: 'n' } }),
  },
  {
    group: 'validation',
    method: 'POST',
    route: '/v1/licenses/actions/validate-key',
    operation: 'key/getkey',
    scope: 'licenses:validate',
    licenseKey: true,
    request: ({ fx }) => ({ url: '/v1/licenses/actions/validate-key', payload: { key: fx.licenseKey } }),
    missing: () => ({
      url: '/v1/licenses/actions/validate-key',
      payload: { key: 'NOPE0-NOPE0-NOPE0-NOPE0' },
    }),
    // The key in the body is the credential when its policy allows it (the fixture's does).
    anonymous: { status: 200, check: (body) => expect(body).toMatchObject({ code: 'VALID' }) },
  },
  // machines
  {
    group: 'machines',
    method: 'POST',
    route: '/v1/machines',
    operation: 'key/activate',
    scope: 'machines:write',
    licenseKey: true,
    request: ({ fx, unique }) => ({
      url: '/v1/machines',
      payload: { licenseId: fx.licenseId, fingerprint: `m-${unique()}` },
    }),
    missing: ({ unique }) => ({
      url: '/v1/machines',
      payload: { licenseId: MISSING_ID, fingerprint: `m-${unique()}` },
    }),
  },
  {
    group: 'machines',
    method: 'GET',
    route: '/v1/machines',
    operation: 'key/getkey',
    scope: 'machines:read',
    licenseKey: true,
    request: ({ fx }) => ({ url: `/v1/machines?licenseId=${fx.licenseId}` }),
  },
  {
    group: 'machines',
    method: 'GET',
    route: '/v1/machines/:id',
    operation: 'key/getkey',
    scope: 'machines:read',
    licenseKey: true,
    request: ({ fx }) => ({ url: `/v1/machines/${fx.machineId}` }),
  },
  {
    group: 'machines',
    method: 'POST',
    route: '/v1/machines/:id/actions/heartbeat',
    operation: 'key/activate',
    scope: 'machines:write',
    licenseKey: true,
    request: ({ fx }) => ({ url: `/v1/machines/${fx.machineId}/actions/heartbeat` }),
  },
  {
    group: 'machines',
    method: 'DELETE',
    route: '/v1/machines/:id',
    operation: 'key/deactivate',
    scope: 'machines:write',
    licenseKey: true,
    request: async ({ fresh }) => ({ url: `/v1/machines/${await fresh.machine()}` }),
  },
  // offline: license files and the air-gapped exchange
  {
    group: 'offline',
    method: 'POST',
    route: '/v1/licenses/actions/check-out',
    operation: 'key/checkout',
    scope: 'licenses:validate',
    licenseKey: true,
    request: ({ fx }) => ({ url: '/v1/licenses/actions/check-out', payload: { licenseId: fx.licenseId } }),
  },
  {
    group: 'offline',
    method: 'POST',
    route: '/v1/offline/responses',
    operation: 'key/activate',
    scope: 'machines:write',
    licenseKey: true,
    request: ({ t, fx, unique }) => ({
      url: '/v1/offline/responses',
      payload: {
        request: encodeOfflineRequest({
          type: 'activation',
          key: fx.licenseKey,
          fingerprint: `air-gapped-${unique()}`,
          requestedAt: t.keyward.clock.now(),
          nonce: `nonce-${unique()}`,
        }),
      },
    }),
  },
  // data objects
  {
    group: 'data-objects',
    method: 'POST',
    route: '/v1/data-objects',
    scope: 'data-objects:write',
    request: ({ fx, unique }) => ({
      url: '/v1/data-objects',
      payload: { ownerType: 'license', ownerId: fx.licenseId, name: `d-${unique()}` },
    }),
  },
  {
    group: 'data-objects',
    method: 'GET',
    route: '/v1/data-objects',
    scope: 'data-objects:read',
    request: ({ fx }) => ({ url: `/v1/data-objects?ownerType=license&ownerId=${fx.licenseId}` }),
  },
  {
    group: 'data-objects',
    method: 'GET',
    route: '/v1/data-objects/:id',
    scope: 'data-objects:read',
    request: ({ fx }) => ({ url: `/v1/data-objects/${fx.dataObjectId}` }),
  },
  {
    group: 'data-objects',
    method: 'PATCH',
    route: '/v1/data-objects/:id',
    scope: 'data-objects:write',
    request: ({ fx }) => ({ url: `/v1/data-objects/${fx.dataObjectId}`, payload: { stringValue: 'x' } }),
  },
  ...(['increment', 'decrement'] as const).map(
    (direction): RouteSecurityCase => ({
      group: 'data-objects',
      method: 'POST',
      route: `/v1/data-objects/:id/actions/${direction}`,
      scope: 'data-objects:write',
      request: ({ fx }) => ({ url: `/v1/data-objects/${fx.dataObjectId}/actions/${direction}` }),
    }),
  ),
  {
    group: 'data-objects',
    method: 'DELETE',
    route: '/v1/data-objects/:id',
    scope: 'data-objects:write',
    request: async ({ fresh }) => ({ url: `/v1/data-objects/${await fresh.dataObject()}` }),
  },
  // events
  {
    group: 'events',
    method: 'GET',
    route: '/v1/events',
    scope: 'events:read',
    request: ({ fx }) => ({ url: `/v1/events?licenseId=${fx.licenseId}` }),
  },
  // tokens: a locked creator may not hand out a token reaching the fixture's product and license
  {
    group: 'tokens',
    method: 'POST',
    route: '/v1/tokens',
    scope: 'tokens:write',
    request: ({ fx, unique }) => ({
      url: '/v1/tokens',
      payload: {
        name: `t-${unique()}`,
        scopes: ['tokens:write'],
        productIds: [fx.productId],
        licenseId: fx.licenseId,
      },
    }),
  },
  {
    group: 'tokens',
    method: 'GET',
    route: '/v1/tokens',
    scope: 'tokens:read',
    request: () => ({ url: '/v1/tokens' }),
  },
  {
    group: 'tokens',
    method: 'DELETE',
    route: '/v1/tokens/:id',
    scope: 'tokens:write',
    request: async ({ fresh }) => ({ url: `/v1/tokens/${await fresh.token()}` }),
  },
  {
    group: 'tokens',
    method: 'PATCH',
    route: '/v1/tokens/:id',
    scope: 'tokens:write',
    request: async ({ fresh }) => ({
      url: `/v1/tokens/${await fresh.token()}`,
      payload: { isDormant: true, maxClientAddresses: 2, activationAllowance: 10 },
    }),
  },
  {
    group: 'tokens',
    method: 'POST',
    route: '/v1/tokens/:id/actions/reset-addresses',
    scope: 'tokens:write',
    request: async ({ fresh }) => ({ url: `/v1/tokens/${await fresh.token()}/actions/reset-addresses` }),
  },
  // signing keys: public, apps embed them
  {
    group: 'signing-keys',
    method: 'GET',
    route: '/v1/signing-keys',
    scope: 'public',
    request: () => ({ url: '/v1/signing-keys' }),
  },
  // license templates: like policies they belong to a product; license-locked tokens do not reach them
  {
    group: 'license-templates',
    method: 'POST',
    route: '/v1/license-templates',
    scope: 'policies:write',
    request: ({ fx, unique }) => ({
      url: '/v1/license-templates',
      payload: { name: `tpl-${unique()}`, policyId: fx.policyId },
    }),
  },
  {
    group: 'license-templates',
    method: 'GET',
    route: '/v1/license-templates',
    scope: 'policies:read',
    request: async (ctx) => {
      await freshTemplate(ctx);
      return { url: '/v1/license-templates?limit=1000' };
    },
    productLocked: {
      status: 200,
      check: (body, fx) => {
        const templates = (body as { data: Array<{ policyId: number }> }).data;
        expect(templates.filter((t) => t.policyId === fx.policyId)).toEqual([]);
      },
    },
  },
  ...(['GET', 'PATCH', 'DELETE'] as const).map(
    (method): RouteSecurityCase => ({
      group: 'license-templates',
      method,
      route: '/v1/license-templates/:id',
      scope: method === 'GET' ? 'policies:read' : 'policies:write',
      request: async (ctx) => ({
        url: `/v1/license-templates/${await freshTemplate(ctx)}`,
        ...(method === 'PATCH' ? { payload: { notes: 'patched' } } : {}),
      }),
    }),
  ),
  // resellers: they span products, like customers, so every lock is refused
  {
    group: 'resellers',
    method: 'POST',
    route: '/v1/resellers',
    scope: 'customers:write',
    request: () => ({ url: '/v1/resellers', payload: { name: 'Resale Ltd' } }),
  },
  {
    group: 'resellers',
    method: 'GET',
    route: '/v1/resellers',
    scope: 'customers:read',
    request: () => ({ url: '/v1/resellers' }),
  },
  ...(['GET', 'PATCH', 'DELETE'] as const).map(
    (method): RouteSecurityCase => ({
      group: 'resellers',
      method,
      route: '/v1/resellers/:id',
      scope: method === 'GET' ? 'customers:read' : 'customers:write',
      request: async (ctx) => ({
        url: `/v1/resellers/${(await ctx.t.keyward.resellers.create(testActor, { name: `r-${ctx.unique()}` })).id}`,
        ...(method === 'PATCH' ? { payload: { phone: '+46 8 123 456' } } : {}),
      }),
    }),
  ),
  // messages: any reader reads them (apps do); only an unlocked token writes them
  {
    group: 'messages',
    method: 'GET',
    route: '/v1/messages',
    scope: 'messages:read',
    operation: 'message/getmessages',
    request: () => ({ url: '/v1/messages' }),
    productLocked: { status: 200 },
    licenseLocked: { status: 200 },
  },
  {
    group: 'messages',
    method: 'POST',
    route: '/v1/messages',
    scope: 'messages:write',
    operation: 'message/createmessage',
    request: ({ unique }) => ({
      url: '/v1/messages',
      payload: { channel: 'news', content: `m-${unique()}` },
    }),
  },
  {
    group: 'messages',
    method: 'DELETE',
    route: '/v1/messages/:id',
    scope: 'messages:write',
    operation: 'message/removemessage',
    request: async ({ t, unique }) => {
      const message = await t.keyward.messages.create(testActor, {
        channel: 'news',
        content: `m-${unique()}`,
      });
      return { url: `/v1/messages/${message.id}` };
    },
  },
  // dashboard users hold the whole account: only an administrator (`*`, no lock) manages them
  {
    group: 'dashboard-users',
    method: 'GET',
    route: '/v1/dashboard-users',
    scope: '*',
    request: () => ({ url: '/v1/dashboard-users' }),
  },
  {
    group: 'dashboard-users',
    method: 'POST',
    route: '/v1/dashboard-users',
    scope: '*',
    request: ({ unique }) => ({
      url: '/v1/dashboard-users',
      payload: { email: `new-${unique()}@example.com`, role: 'support', password: 'a long password' },
    }),
  },
  ...(['PATCH', 'DELETE'] as const).map(
    (method): RouteSecurityCase => ({
      group: 'dashboard-users',
      method,
      route: '/v1/dashboard-users/:id',
      scope: '*',
      request: async ({ t, unique }) => {
        const user = await t.keyward.dashboardAuth.createUser(testActor, {
          email: `user-${unique()}@example.com`,
          password: 'a long password',
          role: 'read-only',
        });
        return {
          url: `/v1/dashboard-users/${user.id}`,
          ...(method === 'PATCH' ? { payload: { role: 'support' } } : {}),
        };
      },
    }),
  ),
  // feature-usage analytics: read within the locks, like the event log
  {
    group: 'analytics-events',
    method: 'GET',
    route: '/v1/analytics-events',
    scope: 'analytics:read',
    operation: 'ai/getevents',
    request: ({ fx }) => ({ url: `/v1/analytics-events?licenseId=${fx.licenseId}` }),
  },
  // dashboard sign-in: public; the session cookie is the credential these routes hand out
  {
    group: 'sessions',
    method: 'POST',
    route: '/v1/session',
    scope: 'public',
    request: async ({ t, unique }) => {
      const email = `user-${unique()}@example.com`;
      await t.keyward.dashboardAuth.createUser(testActor, {
        email,
        password: 'correct horse battery',
        role: 'admin',
      });
      return { url: '/v1/session', payload: { email, password: 'correct horse battery' } };
    },
  },
  {
    group: 'sessions',
    method: 'GET',
    route: '/v1/session',
    scope: 'public',
    request: () => ({ url: '/v1/session' }),
  },
  {
    group: 'sessions',
    method: 'DELETE',
    route: '/v1/session',
    scope: 'public',
    request: () => ({ url: '/v1/session' }),
  },
  // dashboard aggregates span every product: locked tokens are refused
  {
    group: 'stats',
    method: 'GET',
    route: '/v1/stats/overview',
    scope: 'licenses:read',
    request: () => ({ url: '/v1/stats/overview' }),
  },
  {
    group: 'stats',
    method: 'GET',
    route: '/v1/stats/events',
    scope: 'events:read',
    request: () => ({ url: '/v1/stats/events?bucket=hour' }),
  },
  // the customer portal's settings span every product: locked tokens are refused
  {
    group: 'portal-settings',
    method: 'GET',
    route: '/v1/portal/settings',
    scope: 'portal:read',
    request: () => ({ url: '/v1/portal/settings' }),
  },
  {
    group: 'portal-settings',
    method: 'PUT',
    route: '/v1/portal/settings',
    scope: 'portal:write',
    request: ({ unique }) => ({ url: '/v1/portal/settings', payload: { displayName: `Vendor ${unique()}` } }),
  },
  ...INTEGRATION_SECURITY_CASES,
  ...EMAIL_SECURITY_CASES,
];

/** A license template on the fixture's policy, for the cases that act on one. */
async function freshTemplate(ctx: SecurityContext): Promise<number> {
  const template = await ctx.t.keyward.licenseTemplates.create(testActor, {
    name: `tpl-${ctx.unique()}`,
    policyId: ctx.fx.policyId,
  });
  return template.id;
}

export const routeKey = (method: string, route: string) => `${method} ${route}`;

export function securityCase(method: HttpMethod, route: string): RouteSecurityCase {
  const found = ROUTE_SECURITY_CASES.find((c) => c.method === method && c.route === route);
  if (!found) throw new Error(`no security case for ${method} ${route}`);
  return found;
}

/** Sends a case's request (built anew unless given) with the given Authorization header (none when null). */
export async function sendAs(
  ctx: SecurityContext,
  routeCase: RouteSecurityCase,
  authorization: string | null,
  options: { remoteAddress?: string; request?: SecurityRequest } = {},
): Promise<LightMyRequestResponse> {
  const { url, payload } = options.request ?? (await routeCase.request(ctx));
  return ctx.t.app.inject({
    method: routeCase.method,
    url,
    ...(payload === undefined ? {} : { payload: payload as object }),
    headers: authorization === null ? {} : { authorization },
    ...(options.remoteAddress ? { remoteAddress: options.remoteAddress } : {}),
  });
}

/** Row counts after pending bookkeeping is written: a refused request must not change them. */
const countRows = (t: TestApp) => rowCounts(t.store, () => t.keyward.bookkeeping.flush());

export function expectErrorEnvelope(response: LightMyRequestResponse, status: number, code?: string): void {
  expect(response.statusCode, response.body).toBe(status);
  const body = response.json();
  expect(body).toEqual({
    error: {
      code: code ?? expect.any(String),
      message: expect.any(String),
      requestId: response.headers['x-request-id'],
      ...(body.error?.details ? { details: expect.any(Object) } : {}),
    },
  });
}

function expectAnswer(response: LightMyRequestResponse, expected: Expectation, fx: SecurityFixture): void {
  if (expected.status >= 400) expectErrorEnvelope(response, expected.status, expected.code);
  else expect(response.statusCode, response.body).toBe(expected.status);
  expected.check?.(response.json(), fx);
}

export interface SecurityCheck {
  name: string;
  knownBug?: string;
  run(ctx: SecurityContext): Promise<void>;
}

const UNAUTHENTICATED: Expectation = { status: 401, code: 'UNAUTHENTICATED' };
/** An id no fixture uses. */
export const MISSING_ID = 987_654_321;

/** The request with every numeric path segment (the route's ids) replaced by an id that does not exist. */
async function missingRequest(
  ctx: SecurityContext,
  routeCase: RouteSecurityCase,
): Promise<SecurityRequest | null> {
  if (routeCase.missing) return routeCase.missing(ctx);
  if (!routeCase.route.includes('/:')) return null;
  const request = await routeCase.request(ctx);
  const [path = '', query] = request.url.split('?');
  const missingPath = path.replace(/\/\d+(?=\/|$)/g, `/${MISSING_ID}`);
  return { ...request, url: query === undefined ? missingPath : `${missingPath}?${query}` };
}

/** What a caller learns from an error answer: status, code and message (the request id differs anyway). */
const learned = (response: LightMyRequestResponse) => {
  const body = response.json() as { error?: { code?: string; message?: string }; code?: string };
  if (response.statusCode < 300) return { status: response.statusCode, code: body.code };
  // Ids the caller sent come back in messages ("policy 7 does not exist"): they tell nothing new.
  const message = body.error?.message?.replace(/\d+/g, '#');
  return { status: response.statusCode, code: body.error?.code, message };
};

/** The method lock of an app's token, as the README's example app uses it. */
const APP_METHOD_LOCK = ['key/activate', 'key/getkey'];
const FORBIDDEN: Expectation = { status: 403, code: 'FORBIDDEN' };
const MALFORMED = ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer ', 'Bearer two words', 'kw_no_scheme', 'License'];

/** Every scope but the given one (and but `*`), for the token that lacks exactly that scope. */
const scopesBut = (scope: Scope): Scope[] => SCOPES.filter((s) => s !== '*' && s !== scope);

/**
 * The checks of one route. Refusals must carry the error envelope and write nothing; the last check makes
 * sure a token holding exactly the declared scope gets through, so the refusals are for the right reason.
 */
export function securityChecks(routeCase: RouteSecurityCase): SecurityCheck[] {
  const { scope } = routeCase;
  if (scope === 'public') {
    return [
      {
        name: 'answers without a credential',
        run: async (ctx) => expect((await sendAs(ctx, routeCase, null)).statusCode).toBe(200),
      },
      {
        name: 'ignores a malformed or unknown credential',
        run: async (ctx) => {
          for (const header of [...MALFORMED, 'Bearer kw_unknown_token'])
            expect((await sendAs(ctx, routeCase, header)).statusCode).toBe(200);
        },
      },
    ];
  }

  const refused = (
    name: string,
    expected: Expectation,
    authorization: (ctx: SecurityContext) => Promise<string | null>,
    options: { remoteAddress?: string; around?: (ctx: SecurityContext) => () => void } = {},
  ): SecurityCheck => ({
    name,
    ...(expected.knownBug ? { knownBug: expected.knownBug } : {}),
    run: async (ctx) => {
      const header = await authorization(ctx);
      const request = await routeCase.request(ctx);
      const before = await countRows(ctx.t);
      const restore = options.around?.(ctx);
      let response: LightMyRequestResponse;
      try {
        response = await sendAs(ctx, routeCase, header, { ...options, request });
      } finally {
        restore?.();
      }
      expectAnswer(response, expected, ctx.fx);
      if (expected.status >= 400) expect(await countRows(ctx.t)).toEqual(before);
    },
  });
  const token = async (ctx: SecurityContext, input: Omit<TokenInput, 'name' | 'scopes'> = {}) =>
    `Bearer ${(await issueToken(ctx.t, { scopes: [scope], ...input })).secret}`;

  const checks: SecurityCheck[] = [
    refused(
      routeCase.anonymous
        ? 'answers anonymous callers as documented'
        : 'refuses a request without credential',
      routeCase.anonymous ?? UNAUTHENTICATED,
      async () => null,
    ),
    ...MALFORMED.map((header) =>
      refused(`refuses the malformed Authorization "${header}"`, UNAUTHENTICATED, async () => header),
    ),
    refused('refuses an unknown token', UNAUTHENTICATED, async () => 'Bearer kw_00000000_unknown'),
    refused('refuses a revoked token', UNAUTHENTICATED, async (ctx) => {
      const { secret, id } = await issueToken(ctx.t, { scopes: [scope] });
      await ctx.t.keyward.tokens.revoke(testActor, id);
      return `Bearer ${secret}`;
    }),
    refused(
      'refuses an expired token',
      UNAUTHENTICATED,
      async (ctx) => token(ctx, { expiresAt: new Date(ctx.t.clock.now().getTime() + 60_000) }),
      {
        around: (ctx) => {
          ctx.t.clock.advance(120);
          return () => ctx.t.clock.advance(-120);
        },
      },
    ),
    refused(
      `refuses a token without the scope ${scope}`,
      {
        ...FORBIDDEN,
        check: (body) => expect(body).toMatchObject({ error: { details: { scope } } }),
      },
      async (ctx) => `Bearer ${(await issueToken(ctx.t, { scopes: scopesBut(scope) })).secret}`,
    ),
    ...(
      [
        ['product', routeCase.productLocked, (ctx) => token(ctx, { productIds: [ctx.fx.otherProductId] })],
        ['license', routeCase.licenseLocked, (ctx) => token(ctx, { licenseId: ctx.fx.otherLicenseId })],
      ] as const satisfies ReadonlyArray<
        readonly [string, Expectation | undefined, (ctx: SecurityContext) => Promise<string>]
      >
    ).map(
      ([lock, expected, authorization]): SecurityCheck =>
        expected
          ? refused(`refuses (or hides from) a token locked to another ${lock}`, expected, authorization)
          : {
              name: `answers a token locked to another ${lock} as if the target did not exist`,
              run: async (ctx) => {
                const header = await authorization(ctx);
                const request = await routeCase.request(ctx);
                const before = await countRows(ctx.t);
                const response = await sendAs(ctx, routeCase, header, { request });
                if (!routeCase.missing) {
                  expect([403, 404], response.body).toContain(response.statusCode);
                  expectErrorEnvelope(response, response.statusCode);
                }
                expect(await countRows(ctx.t)).toEqual(before);
                const missing = await missingRequest(ctx, routeCase);
                if (missing) {
                  const answer = await sendAs(ctx, routeCase, header, { request: missing });
                  expect(learned(response), `${lock}-locked: existing vs missing target`).toEqual(
                    learned(answer),
                  );
                }
              },
            },
    ),
    {
      name: `${routeCase.operation ? 'takes' : 'refuses'} a token whose method lock is ${APP_METHOD_LOCK.join(', ')}`,
      run: async (ctx) => {
        const header = await token(ctx, { methodLock: APP_METHOD_LOCK });
        const response = await sendAs(ctx, routeCase, header);
        if (routeCase.operation && APP_METHOD_LOCK.includes(routeCase.operation))
          expect(response.statusCode, response.body).toBeLessThan(400);
        else expectErrorEnvelope(response, 403, 'FORBIDDEN');
      },
    },
    refused(
      'refuses a token whose IP allow-list excludes the caller',
      FORBIDDEN,
      (ctx) => token(ctx, { ipAllowlist: ['203.0.113.0/24'] }),
      { remoteAddress: '198.51.100.7' },
    ),
  ];

  if (routeCase.licenseKey) {
    checks.push(
      refused(
        'refuses an unknown license key',
        UNAUTHENTICATED,
        async () => 'License AAAAA-BBBBB-CCCCC-DDDDD',
      ),
      refused(
        'refuses the key of a license whose policy does not allow it as credential',
        FORBIDDEN,
        async (ctx) => `License ${ctx.fx.closedLicenseKey}`,
      ),
      {
        name: 'answers the key of another license as if the target did not exist',
        run: async (ctx) => {
          const header = `License ${ctx.fx.otherLicenseKey}`;
          const response = await sendAs(ctx, routeCase, header);
          const missing = await missingRequest(ctx, routeCase);
          if (missing) {
            const answer = await sendAs(ctx, routeCase, header, { request: missing });
            expect(learned(response)).toEqual(learned(answer));
          }
          if (response.statusCode >= 400) expectErrorEnvelope(response, response.statusCode);
          else expect(routeCase.missing, 'a 2xx answer needs a missing() request to compare').toBeDefined();
        },
      },
      {
        name: 'accepts the key of the license itself',
        run: async (ctx) => {
          const response = await sendAs(ctx, routeCase, `License ${ctx.fx.licenseKey}`);
          expect(response.statusCode, response.body).toBeLessThan(400);
        },
      },
    );
  } else {
    checks.push(
      refused('refuses a license key credential', FORBIDDEN, async (ctx) => `License ${ctx.fx.licenseKey}`),
    );
  }

  checks.push({
    name: `accepts a token holding only ${scope}`,
    run: async (ctx) => {
      const response = await sendAs(ctx, routeCase, await token(ctx));
      expect(response.statusCode, response.body).toBeLessThan(400);
    },
  });
  return checks;
}

/**
 * Runs the security checks of every route of a group over an app of its own (so fixture rows do not leak
 * into the group's other tests).
 */
export function describeRouteSecurity(group: SecurityGroup, dialect: TestDialect = 'sqlite'): void {
  describe(`security of the ${group} routes (${dialect})`, () => {
    let ctx: SecurityContext;
    beforeAll(async () => {
      ctx = await createSecurityContext(await createTestApp(dialect));
    });
    afterAll(() => ctx?.t.dispose());

    for (const routeCase of ROUTE_SECURITY_CASES.filter((c) => c.group === group)) {
      describe(`${routeCase.method} ${routeCase.route}`, () => {
        for (const check of securityChecks(routeCase)) {
          if (check.knownBug) it.fails(`${check.name} — known bug: ${check.knownBug}`, () => check.run(ctx));
          else it(check.name, () => check.run(ctx));
        }
      });
    }
  });
}
