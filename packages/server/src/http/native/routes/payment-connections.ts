import { Type } from 'typebox';
import type {
  PaymentConnection,
  PaymentEvent,
  PaymentEventDetail,
} from '../../../core/commerce/commerce-ports.js';
import type { Keyward } from '../../../core/keyward.js';
import type { App } from '../../fastify-context.js';
import { PAYMENT_WEBHOOK_PREFIX } from '../../payments/payment-webhooks.js';
import { actorOf, principalOf } from '../../plugins/authenticate.js';
import { errorResponses, NoContent } from '../openapi/error-responses.js';
import {
  PaymentConnectionCreate,
  PaymentConnection as PaymentConnectionSchema,
  PaymentConnectionUpdate,
  PaymentEventDetail as PaymentEventDetailSchema,
  PaymentEventParams,
  PaymentEvent as PaymentEventSchema,
} from '../payment-schemas.js';
import { page } from '../present.js';
import { parseCursor } from '../request-values.js';
import { IdParams, listOf, PageQuery } from '../schemas.js';

const tags = ['payments'];

const presentConnection = (c: PaymentConnection) => ({
  id: c.id,
  provider: c.provider,
  name: c.name,
  refundAction: c.refundAction,
  hasWebhookSecret: c.webhookSecretHint !== null,
  webhookSecretHint: c.webhookSecretHint,
  hasApiKey: c.apiKeyHint !== null,
  apiKeyHint: c.apiKeyHint,
  webhookPath: `${PAYMENT_WEBHOOK_PREFIX}/${c.id}`,
  mappings: c.mappings,
  createdAt: c.createdAt.toISOString(),
  updatedAt: c.updatedAt.toISOString(),
});

const presentEvent = (e: PaymentEvent) => ({
  id: e.id,
  connectionId: e.connectionId,
  providerEventId: e.providerEventId,
  providerEventType: e.providerEventType,
  change: e.change,
  occurredAt: e.occurredAt.toISOString(),
  receivedAt: e.receivedAt.toISOString(),
  status: e.status,
  outcome: e.outcome,
  error: e.error,
  licenseIds: e.licenseIds,
  handledAt: e.handledAt?.toISOString() ?? null,
});

const presentEventDetail = (e: PaymentEventDetail) => ({
  ...presentEvent(e),
  payload: e.payload,
  isPayloadTruncated: e.isPayloadTruncated,
});

/** Payment connections span products (a mapping may name any policy): core refuses locked tokens. */
export function paymentConnectionRoutes(app: App, keyward: Keyward): void {
  app.post(
    '/payment-connections',
    {
      config: { auth: { scope: 'payments:write' } },
      schema: {
        tags,
        summary: 'Connect a payment provider',
        description:
          'Connects Stripe, Paddle Billing or Lemon Squeezy: its webhook signing secret (and for Stripe a ' +
          'restricted API key), what a refund does, and which policy each sold price or variant issues. The ' +
          "answer's webhookPath is where the provider must send its events. The webhook secret may come later " +
          '(the provider shows it once the endpoint exists): set it with PATCH; until then deliveries answer ' +
          '503 UNAVAILABLE, store nothing, and the provider retries them. Secrets are never answered. A ' +
          'mapping naming a policy that does not exist is refused with 404 NOT_FOUND. Needs an unlocked token.',
        body: PaymentConnectionCreate,
        response: { 201: PaymentConnectionSchema, ...errorResponses('NOT_FOUND') },
      },
    },
    async (request, reply) => {
      const connection = await keyward.paymentConnections.create(actorOf(request, 'native'), request.body);
      return reply.status(201).send(presentConnection(connection));
    },
  );

  app.get(
    '/payment-connections',
    {
      config: { auth: { scope: 'payments:read' } },
      schema: {
        tags,
        summary: 'List payment connections',
        description: 'Connections, oldest first, with their mappings and without their secrets.',
        querystring: Type.Object({ ...PageQuery }, { additionalProperties: false }),
        response: { 200: listOf(PaymentConnectionSchema) },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 100;
      const connections = await keyward.paymentConnections.list(principalOf(request), {
        after: parseCursor(request.query.after),
        limit,
      });
      return page(connections, limit, presentConnection);
    },
  );

  app.get(
    '/payment-connections/:id',
    {
      config: { auth: { scope: 'payments:read' } },
      schema: {
        tags,
        summary: 'Get a payment connection',
        description: 'One connection with its mappings, without its secrets.',
        params: IdParams,
        response: { 200: PaymentConnectionSchema, ...errorResponses('NOT_FOUND') },
      },
    },
    async (request) =>
      presentConnection(await keyward.paymentConnections.read(principalOf(request), request.params.id)),
  );

  app.patch(
    '/payment-connections/:id',
    {
      config: { auth: { scope: 'payments:write' } },
      schema: {
        tags,
        summary: 'Update a payment connection',
        description:
          'Changes the fields given. `mappings` replaces every mapping; `apiKey: null` removes the API key. ' +
          '`webhookSecret` sets or replaces the signing secret and applies to the next delivery; it cannot be ' +
          'removed (`webhookSecret: null` is refused with 400).',
        params: IdParams,
        body: PaymentConnectionUpdate,
        response: { 200: PaymentConnectionSchema, ...errorResponses('NOT_FOUND') },
      },
    },
    async (request) =>
      presentConnection(
        await keyward.paymentConnections.update(actorOf(request, 'native'), request.params.id, request.body),
      ),
  );

  app.delete(
    '/payment-connections/:id',
    {
      config: { auth: { scope: 'payments:write' } },
      schema: {
        tags,
        summary: 'Delete a payment connection',
        description:
          'Deletes the connection with its events and purchases; the licenses it issued stay. Its webhook URL ' +
          'answers 404 from now on.',
        params: IdParams,
        response: { 204: NoContent, ...errorResponses('NOT_FOUND') },
      },
    },
    async (request, reply) => {
      await keyward.paymentConnections.delete(actorOf(request, 'native'), request.params.id);
      return reply.status(204).send();
    },
  );

  app.get(
    '/payment-connections/:id/events',
    {
      config: { auth: { scope: 'payments:read' } },
      schema: {
        tags,
        summary: "List a payment connection's events",
        description:
          'Every event the provider sent to this connection, newest first, each with its status and what it ' +
          'did (outcome) or why it failed (error).',
        params: IdParams,
        querystring: Type.Object({ ...PageQuery }, { additionalProperties: false }),
        response: { 200: listOf(PaymentEventSchema), ...errorResponses('NOT_FOUND') },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 100;
      const events = await keyward.paymentConnections.listEvents(principalOf(request), request.params.id, {
        before: parseCursor(request.query.after, Number.MAX_SAFE_INTEGER),
        limit,
      });
      return page(events, limit, presentEvent);
    },
  );

  app.get(
    '/payment-connections/:id/events/:eventId',
    {
      config: { auth: { scope: 'payments:read' } },
      schema: {
        tags,
        summary: 'Get a payment event',
        description: 'One event with the body the provider sent (cut at 256 KiB).',
        params: PaymentEventParams,
        response: { 200: PaymentEventDetailSchema, ...errorResponses('NOT_FOUND') },
      },
    },
    async (request) =>
      presentEventDetail(
        await keyward.paymentConnections.readEvent(
          principalOf(request),
          request.params.id,
          request.params.eventId,
        ),
      ),
  );
}
