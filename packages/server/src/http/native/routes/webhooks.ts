import { Type } from 'typebox';
import { assertUnrestricted } from '../../../core/access/principal.js';
import type { WebhookAttempt, WebhookDelivery, WebhookEndpoint } from '../../../core/events/webhook-ports.js';
import type { Keyward } from '../../../core/keyward.js';
import type { App } from '../../fastify-context.js';
import { actorOf, principalOf } from '../../plugins/authenticate.js';
import { errorResponses, NoContent } from '../openapi/error-responses.js';
import { page } from '../present.js';
import { parseCursor } from '../request-values.js';
import { IdParams, listOf, PageQuery } from '../schemas.js';
import {
  DeliveryListQuery,
  WebhookDelivery as DeliverySchema,
  Webhook,
  WebhookCreate,
  WebhookDeliveryDetail,
  WebhookUpdate,
  WebhookWithSecret,
} from '../webhook-schemas.js';

const tags = ['webhooks'];

export const presentWebhook = (w: WebhookEndpoint) => ({
  ...w,
  createdAt: w.createdAt.toISOString(),
  updatedAt: w.updatedAt.toISOString(),
});

export const presentDelivery = (d: WebhookDelivery) => ({
  id: d.id,
  webhookId: d.endpointId,
  eventId: d.eventId,
  eventType: d.eventType,
  status: d.status,
  attemptCount: d.attemptCount,
  nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt.toISOString() : null,
  lastStatusCode: d.lastStatusCode,
  lastError: d.lastError,
  deliveredAt: d.deliveredAt?.toISOString() ?? null,
  createdAt: d.createdAt.toISOString(),
});

const presentAttempt = (a: WebhookAttempt) => ({
  id: a.id,
  attemptedAt: a.attemptedAt.toISOString(),
  statusCode: a.statusCode,
  error: a.error,
  responseExcerpt: a.responseExcerpt,
  durationMs: a.durationMs,
});

/** Webhooks span products (an endpoint may hear every product), so product-locked tokens do not reach them. */
export function webhookRoutes(app: App, keyward: Keyward): void {
  app.post(
    '/webhooks',
    {
      // Idempotent like every write: a replayed answer carries the secret, kept sealed (idempotency-service.ts).
      config: { auth: { scope: 'webhooks:write' } },
      schema: {
        tags,
        summary: 'Create a webhook endpoint',
        description:
          'Creates an endpoint. The answer holds its signing secret, shown only this once. eventTypes take ' +
          'event types (license.created), group patterns (license.*) or *. The url must reach a public ' +
          'address: loopback, private, link-local and other internal addresses are refused (400 ' +
          'INVALID_INPUT; checked again on the resolved address at each delivery) unless the operator allows ' +
          'them.',
        body: WebhookCreate,
        response: { 201: WebhookWithSecret, ...errorResponses('NOT_FOUND') },
      },
    },
    async (request, reply) => {
      assertUnrestricted(principalOf(request));
      const { endpoint, secret } = await keyward.webhooks.create(actorOf(request, 'native'), request.body);
      return reply.status(201).send({ ...presentWebhook(endpoint), secret });
    },
  );

  app.get(
    '/webhooks',
    {
      config: { auth: { scope: 'webhooks:read' } },
      schema: {
        tags,
        summary: 'List webhook endpoints',
        description: 'Endpoints, oldest first, without their secrets. Needs an unlocked token.',
        querystring: Type.Object({ ...PageQuery }, { additionalProperties: false }),
        response: { 200: listOf(Webhook) },
      },
    },
    async (request) => {
      assertUnrestricted(principalOf(request));
      const limit = request.query.limit ?? 100;
      const endpoints = await keyward.webhooks.list({ after: parseCursor(request.query.after), limit });
      return page(endpoints, limit, presentWebhook);
    },
  );

  app.get(
    '/webhooks/:id',
    {
      config: { auth: { scope: 'webhooks:read' } },
      schema: {
        tags,
        summary: 'Get a webhook endpoint',
        description: 'One endpoint, without its secret. Needs an unlocked token.',
        params: IdParams,
        response: { 200: Webhook, ...errorResponses('NOT_FOUND') },
      },
    },
    async (request) => {
      assertUnrestricted(principalOf(request));
      return presentWebhook(await keyward.webhooks.get(request.params.id));
    },
  );

  app.patch(
    '/webhooks/:id',
    {
      config: { auth: { scope: 'webhooks:write' } },
      schema: {
        tags,
        summary: 'Update a webhook endpoint',
        description:
          'Changes the fields given; a new url must reach a public address as on creation. Needs an unlocked token.',
        params: IdParams,
        body: WebhookUpdate,
        response: { 200: Webhook, ...errorResponses('NOT_FOUND') },
      },
    },
    async (request) => {
      assertUnrestricted(principalOf(request));
      return presentWebhook(
        await keyward.webhooks.update(actorOf(request, 'native'), request.params.id, request.body),
      );
    },
  );

  app.delete(
    '/webhooks/:id',
    {
      config: { auth: { scope: 'webhooks:write' } },
      schema: {
        tags,
        summary: 'Delete a webhook endpoint',
        description: 'Deletes an endpoint and its pending deliveries. Needs an unlocked token.',
        params: IdParams,
        response: { 204: NoContent, ...errorResponses('NOT_FOUND') },
      },
    },
    async (request, reply) => {
      assertUnrestricted(principalOf(request));
      await keyward.webhooks.delete(actorOf(request, 'native'), request.params.id);
      return reply.status(204).send();
    },
  );

  app.post(
    '/webhooks/:id/actions/rotate-secret',
    {
      config: { auth: { scope: 'webhooks:write' } },
      schema: {
        tags,
        summary: "Rotate a webhook endpoint's secret",
        description: 'A new signing secret, shown only in this answer; the old one stops signing at once.',
        params: IdParams,
        response: { 200: WebhookWithSecret, ...errorResponses('NOT_FOUND') },
      },
    },
    async (request) => {
      assertUnrestricted(principalOf(request));
      const { endpoint, secret } = await keyward.webhooks.rotateSecret(
        actorOf(request, 'native'),
        request.params.id,
      );
      return { ...presentWebhook(endpoint), secret };
    },
  );

  app.post(
    '/webhooks/:id/actions/test',
    {
      config: { auth: { scope: 'webhooks:write' } },
      schema: {
        tags,
        summary: 'Send a test event to a webhook endpoint',
        description:
          'Queues a `webhook.test` event for this endpoint alone (whatever event types it listens for), ' +
          'delivered, signed, retried and logged like any other; the answer is its delivery. A disabled ' +
          'endpoint is refused with 409 CONFLICT.',
        params: IdParams,
        response: { 202: DeliverySchema, ...errorResponses('NOT_FOUND', 'CONFLICT') },
      },
    },
    async (request, reply) => {
      assertUnrestricted(principalOf(request));
      const delivery = await keyward.webhooks.sendTest(actorOf(request, 'native'), request.params.id);
      return reply.status(202).send(presentDelivery(delivery));
    },
  );

  app.get(
    '/webhooks/:id/deliveries',
    {
      config: { auth: { scope: 'webhooks:read' } },
      schema: {
        tags,
        summary: "List a webhook endpoint's deliveries",
        description:
          'Deliveries of the endpoint, newest first, optionally in one state. Needs an unlocked token.',
        params: IdParams,
        querystring: DeliveryListQuery,
        response: { 200: listOf(DeliverySchema), ...errorResponses('NOT_FOUND') },
      },
    },
    async (request) => {
      assertUnrestricted(principalOf(request));
      const limit = request.query.limit ?? 100;
      const deliveries = await keyward.webhooks.listDeliveries({
        endpointId: request.params.id,
        status: request.query.status ?? null,
        before: parseCursor(request.query.after, Number.MAX_SAFE_INTEGER),
        limit,
      });
      return page(deliveries, limit, presentDelivery);
    },
  );

  app.get(
    '/webhook-deliveries/:id',
    {
      config: { auth: { scope: 'webhooks:read' } },
      schema: {
        tags,
        summary: 'Get a webhook delivery',
        description: 'A delivery with every attempt: when, the answer status and the first part of its body.',
        params: IdParams,
        response: { 200: WebhookDeliveryDetail, ...errorResponses('NOT_FOUND') },
      },
    },
    async (request) => {
      assertUnrestricted(principalOf(request));
      const { delivery, attempts } = await keyward.webhooks.getDelivery(request.params.id);
      return { ...presentDelivery(delivery), attempts: attempts.map(presentAttempt) };
    },
  );

  app.post(
    '/webhook-deliveries/:id/actions/redeliver',
    {
      config: { auth: { scope: 'webhooks:write' } },
      schema: {
        tags,
        summary: 'Redeliver a webhook delivery',
        description: 'Sends the delivery again, now, with a new day of retries; its attempt log is kept.',
        params: IdParams,
        response: { 200: DeliverySchema, ...errorResponses('NOT_FOUND') },
      },
    },
    async (request) => {
      assertUnrestricted(principalOf(request));
      return presentDelivery(await keyward.webhooks.redeliver(actorOf(request, 'native'), request.params.id));
    },
  );
}
