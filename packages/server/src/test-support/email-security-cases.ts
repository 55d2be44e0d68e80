import type { Actor } from '../core/access/actor.js';
import { operatorPrincipal } from '../core/access/principal.js';
import type { Expectation, RouteSecurityCase, SecurityContext } from './route-security-case.js';

/** Security cases of the email routes; ROUTE_SECURITY_CASES includes them. */

const testActor: Actor = { tokenId: null, ip: null, via: 'test', principal: operatorPrincipal };

/** Email spans the account: a token locked to a product or a license is refused outright. */
const LOCKED: Expectation = { status: 403, code: 'FORBIDDEN' };

/**
 * Settings naming a host that never resolves (.invalid): a test email is then answered "not sent" with the
 * resolver's error, so the route runs end to end without any network.
 */
async function setUp(ctx: SecurityContext): Promise<void> {
  await ctx.t.keyward.email.saveSettings(testActor, {
    host: 'smtp.example.invalid',
    port: 587,
    security: 'starttls',
    fromName: 'Security',
    fromAddress: 'security@example.com',
  });
}

async function freshMessage(ctx: SecurityContext): Promise<number> {
  const message = await ctx.t.store.transaction((tx) =>
    tx.emailOutbox.enqueue(
      {
        kind: 'license_delivered',
        to: `c-${ctx.unique()}@example.com`,
        productId: ctx.fx.productId,
        licenseId: ctx.fx.licenseId,
        customerId: null,
        variables: {},
        sealedSecrets: null,
      },
      ctx.t.clock.now(),
    ),
  );
  return message.id;
}

const email = (
  method: RouteSecurityCase['method'],
  route: string,
  scope: 'email:read' | 'email:write',
  request: RouteSecurityCase['request'],
): RouteSecurityCase => ({
  group: 'email',
  method,
  route,
  scope,
  request,
  productLocked: LOCKED,
  licenseLocked: LOCKED,
});

export const EMAIL_SECURITY_CASES: RouteSecurityCase[] = [
  email('GET', '/v1/email/settings', 'email:read', async (ctx) => {
    await setUp(ctx);
    return { url: '/v1/email/settings' };
  }),
  email('PUT', '/v1/email/settings', 'email:write', () => ({
    url: '/v1/email/settings',
    payload: {
      host: 'smtp.example.invalid',
      port: 587,
      security: 'starttls',
      fromName: 'Security',
      fromAddress: 'security@example.com',
    },
  })),
  email('GET', '/v1/email/templates', 'email:read', (ctx) => ({
    url: `/v1/email/templates?productId=${ctx.fx.productId}`,
  })),
  email('GET', '/v1/email/templates/:kind', 'email:read', (ctx) => ({
    url: `/v1/email/templates/license_delivered?productId=${ctx.fx.productId}`,
  })),
  email('PUT', '/v1/email/templates/:kind', 'email:write', (ctx) => ({
    url: `/v1/email/templates/license_renewed?productId=${ctx.fx.productId}`,
    payload: { subject: 'Renewed {{productName}}', textBody: 'text', htmlBody: '<p>html</p>' },
  })),
  email('DELETE', '/v1/email/templates/:kind', 'email:write', (ctx) => ({
    url: `/v1/email/templates/license_renewed?productId=${ctx.fx.productId}`,
  })),
  email('GET', '/v1/email/messages', 'email:read', () => ({ url: '/v1/email/messages' })),
  email('GET', '/v1/email/messages/:id', 'email:read', async (ctx) => ({
    url: `/v1/email/messages/${await freshMessage(ctx)}`,
  })),
  email('POST', '/v1/email/messages/:id/retry', 'email:write', async (ctx) => ({
    url: `/v1/email/messages/${await freshMessage(ctx)}/retry`,
  })),
  email('POST', '/v1/email/test', 'email:write', async (ctx) => {
    await setUp(ctx);
    return { url: '/v1/email/test', payload: { to: 'someone@example.com' } };
  }),
];
