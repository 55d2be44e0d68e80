import type { Actor } from '../core/access/actor.js';
import { operatorPrincipal } from '../core/access/principal.js';
import type { RouteSecurityCase, SecurityContext } from './route-security.js';

/** Security cases of the webhook and import routes; ROUTE_SECURITY_CASES includes them. */

const testActor: Actor = { tokenId: null, ip: null, via: 'test', principal: operatorPrincipal };

async function freshWebhook(ctx: SecurityContext): Promise<number> {
  const { endpoint } = await ctx.t.keyward.webhooks.create(testActor, {
    url: `https://hooks.example.com/${ctx.unique()}`,
    eventTypes: ['customer.*'],
  });
  return endpoint.id;
}

/** A delivery: an endpoint hearing customer events, and a customer event to queue for it. */
async function freshDelivery(ctx: SecurityContext): Promise<number> {
  const webhookId = await freshWebhook(ctx);
  await ctx.fresh.customer();
  const [delivery] = await ctx.t.store.webhooks.listDeliveries({
    endpointId: webhookId,
    status: null,
    before: null,
    limit: 1,
  });
  if (!delivery) throw new Error('no delivery was queued');
  return delivery.id;
}

export const INTEGRATION_SECURITY_CASES: RouteSecurityCase[] = [
  // webhooks: an endpoint may hear every product, so every lock is refused
  {
    group: 'webhooks',
    method: 'POST',
    route: '/v1/webhooks',
    scope: 'webhooks:write',
    request: (ctx) => ({
      url: '/v1/webhooks',
      payload: { url: `https://hooks.example.com/${ctx.unique()}`, eventTypes: ['license.created'] },
    }),
  },
  {
    group: 'webhooks',
    method: 'GET',
    route: '/v1/webhooks',
    scope: 'webhooks:read',
    request: () => ({ url: '/v1/webhooks' }),
  },
  {
    group: 'webhooks',
    method: 'GET',
    route: '/v1/webhooks/:id',
    scope: 'webhooks:read',
    request: async (ctx) => ({ url: `/v1/webhooks/${await freshWebhook(ctx)}` }),
  },
  {
    group: 'webhooks',
    method: 'PATCH',
    route: '/v1/webhooks/:id',
    scope: 'webhooks:write',
    request: async (ctx) => ({
      url: `/v1/webhooks/${await freshWebhook(ctx)}`,
      payload: { isEnabled: false },
    }),
  },
  {
    group: 'webhooks',
    method: 'DELETE',
    route: '/v1/webhooks/:id',
    scope: 'webhooks:write',
    request: async (ctx) => ({ url: `/v1/webhooks/${await freshWebhook(ctx)}` }),
  },
  {
    group: 'webhooks',
    method: 'POST',
    route: '/v1/webhooks/:id/actions/rotate-secret',
    scope: 'webhooks:write',
    request: async (ctx) => ({ url: `/v1/webhooks/${await freshWebhook(ctx)}/actions/rotate-secret` }),
  },
  {
    group: 'webhooks',
    method: 'POST',
    route: '/v1/webhooks/:id/actions/test',
    scope: 'webhooks:write',
    request: async (ctx) => ({ url: `/v1/webhooks/${await freshWebhook(ctx)}/actions/test` }),
  },
  {
    group: 'webhooks',
    method: 'GET',
    route: '/v1/webhooks/:id/deliveries',
    scope: 'webhooks:read',
    request: async (ctx) => ({ url: `/v1/webhooks/${await freshWebhook(ctx)}/deliveries` }),
  },
  {
    group: 'webhooks',
    method: 'GET',
    route: '/v1/webhook-deliveries/:id',
    scope: 'webhooks:read',
    request: async (ctx) => ({ url: `/v1/webhook-deliveries/${await freshDelivery(ctx)}` }),
  },
  {
    group: 'webhooks',
    method: 'POST',
    route: '/v1/webhook-deliveries/:id/actions/redeliver',
    scope: 'webhooks:write',
    request: async (ctx) => ({ url: `/v1/webhook-deliveries/${await freshDelivery(ctx)}/actions/redeliver` }),
  },
  // imports: they write every product, so every lock is refused
  {
    group: 'imports',
    method: 'POST',
    route: '/v1/imports',
    scope: 'imports:write',
    request: (ctx) => ({
      url: '/v1/imports',
      // A header without rows: accepted, and the job writes nothing, so the background run cannot blur the
      // row counts other checks compare.
      payload: { kind: 'csv', source: `security-${ctx.unique()}`, csv: 'key,product\n' },
    }),
  },
  {
    group: 'imports',
    method: 'GET',
    route: '/v1/imports',
    scope: 'imports:read',
    request: () => ({ url: '/v1/imports' }),
  },
  {
    group: 'imports',
    method: 'GET',
    route: '/v1/imports/:id',
    scope: 'imports:read',
    request: async (ctx) => {
      const { job } = await ctx.t.keyward.importJobs.start({
        kind: 'csv',
        source: `security-${ctx.unique()}`,
        options: { csv: '' },
        credential: null,
      });
      return { url: `/v1/imports/${job.id}` };
    },
  },
];
