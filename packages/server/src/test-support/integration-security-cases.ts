import type { Actor } from '../core/access/actor.js';
import { operatorPrincipal } from '../core/access/principal.js';
import type { RouteSecurityCase, SecurityContext } from './route-security-case.js';

/** Security cases of the webhook, import and payment connection routes; ROUTE_SECURITY_CASES includes them. */

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

async function freshPaymentConnection(ctx: SecurityContext): Promise<number> {
  const connection = await ctx.t.keyward.paymentConnections.create(testActor, {
    provider: 'stripe',
    name: `Shop ${ctx.unique()}`,
    webhookSecret: 'whsec_security_secret',
    mappings: [{ providerItemId: 'price_secured', policyId: ctx.fx.policyId, seatsPerUnit: 1 }],
  });
  return connection.id;
}

/** A connection with one received event (of a type Keyward ignores), stored through core's receiver. */
async function freshPaymentEvent(ctx: SecurityContext): Promise<{ connectionId: number; eventId: number }> {
  const connectionId = await freshPaymentConnection(ctx);
  const { eventId } = await ctx.t.keyward.purchases.receive(
    connectionId,
    {
      providerEventId: `evt_${ctx.unique()}`,
      providerEventType: 'customer.created',
      occurredAt: ctx.t.clock.now(),
      purchase: null,
    },
    '{}',
  );
  return { connectionId, eventId };
}

const PAYMENT_CONNECTION_CASES: RouteSecurityCase[] = [
  // payment connections: a mapping may name any product's policy, so every lock is refused
  {
    group: 'payment-connections',
    method: 'POST',
    route: '/v1/payment-connections',
    scope: 'payments:write',
    request: (ctx) => ({
      url: '/v1/payment-connections',
      payload: { provider: 'stripe', name: `Shop ${ctx.unique()}`, webhookSecret: 'whsec_security_secret' },
    }),
  },
  {
    group: 'payment-connections',
    method: 'GET',
    route: '/v1/payment-connections',
    scope: 'payments:read',
    request: () => ({ url: '/v1/payment-connections' }),
  },
  {
    group: 'payment-connections',
    method: 'GET',
    route: '/v1/payment-connections/:id',
    scope: 'payments:read',
    request: async (ctx) => ({ url: `/v1/payment-connections/${await freshPaymentConnection(ctx)}` }),
  },
  {
    group: 'payment-connections',
    method: 'PATCH',
    route: '/v1/payment-connections/:id',
    scope: 'payments:write',
    request: async (ctx) => ({
      url: `/v1/payment-connections/${await freshPaymentConnection(ctx)}`,
      payload: { refundAction: 'revoke' },
    }),
  },
  {
    group: 'payment-connections',
    method: 'DELETE',
    route: '/v1/payment-connections/:id',
    scope: 'payments:write',
    request: async (ctx) => ({ url: `/v1/payment-connections/${await freshPaymentConnection(ctx)}` }),
  },
  {
    group: 'payment-connections',
    method: 'GET',
    route: '/v1/payment-connections/:id/events',
    scope: 'payments:read',
    request: async (ctx) => ({
      url: `/v1/payment-connections/${(await freshPaymentEvent(ctx)).connectionId}/events`,
    }),
  },
  {
    group: 'payment-connections',
    method: 'GET',
    route: '/v1/payment-connections/:id/events/:eventId',
    scope: 'payments:read',
    request: async (ctx) => {
      const { connectionId, eventId } = await freshPaymentEvent(ctx);
      return { url: `/v1/payment-connections/${connectionId}/events/${eventId}` };
    },
  },
];

export const INTEGRATION_SECURITY_CASES: RouteSecurityCase[] = [
  ...PAYMENT_CONNECTION_CASES,
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
