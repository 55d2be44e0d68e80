import { Type } from 'typebox';
import { DELIVERY_STATUSES } from '../../core/events/webhook-ports.js';
import { EXAMPLE } from './openapi/examples.js';
import { Id, Nullable, Timestamp } from './schemas.js';

/** Request and response shapes of the webhook routes. */

const EVENT_TYPES =
  'What it hears: event types (license.created), group patterns (license.*) or * for everything';
const PRODUCT_IDS = "Only events of these products; empty = every product's";
const EventTypes = Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
  minItems: 1,
  maxItems: 100,
  description: EVENT_TYPES,
  examples: [['license.*', 'machine.activated']],
});

export const Webhook = Type.Object(
  {
    id: Type.Integer({ examples: [2] }),
    url: Type.String({ description: 'Where deliveries are POSTed', examples: [EXAMPLE.webhookUrl] }),
    description: Nullable(Type.String(), { examples: ['CRM sync'] }),
    eventTypes: Type.Array(Type.String(), { description: EVENT_TYPES, examples: [['license.*']] }),
    productIds: Type.Array(Type.Integer(), { description: PRODUCT_IDS }),
    isEnabled: Type.Boolean({ description: 'A disabled endpoint gets no deliveries' }),
    includeImportRecords: Type.Boolean({
      description:
        'Whether the endpoint hears each record an import writes; otherwise an import sends one ' +
        'import.completed or import.failed summary.',
    }),
    createdAt: Type.String({ format: 'date-time', examples: [EXAMPLE.createdAt] }),
    updatedAt: Type.String({ format: 'date-time', examples: [EXAMPLE.updatedAt] }),
  },
  { title: 'Webhook', description: 'A webhook endpoint, without its signing secret.' },
);

export const WebhookWithSecret = Type.Object(
  {
    ...Webhook.properties,
    secret: Type.String({
      description: 'Shown only in this answer: keep it to verify signatures.',
      examples: [EXAMPLE.webhookSecret],
    }),
  },
  { title: 'WebhookWithSecret', description: 'A webhook endpoint and its signing secret, shown this once.' },
);

export const WebhookCreate = Type.Object(
  {
    url: Type.String({
      minLength: 1,
      maxLength: 2048,
      description: 'Where deliveries are POSTed: an http(s) URL of a public address',
      examples: [EXAMPLE.webhookUrl],
    }),
    description: Type.Optional(
      Nullable(Type.String({ maxLength: 500 }), { description: 'A note for people' }),
    ),
    eventTypes: EventTypes,
    productIds: Type.Optional(Type.Array(Id, { maxItems: 1000, description: PRODUCT_IDS })),
    isEnabled: Type.Optional(Type.Boolean({ description: 'Default true' })),
    includeImportRecords: Type.Optional(
      Type.Boolean({
        description:
          'Also deliver each record an import writes (license.imported, customer.created, …), not only ' +
          "the import's summary (import.completed, import.failed). Default false.",
      }),
    ),
  },
  { additionalProperties: false },
);

export const WebhookUpdate = Type.Partial(WebhookCreate, { additionalProperties: false });

export const DeliveryStatus = Type.Enum([...DELIVERY_STATUSES], {
  title: 'DeliveryStatus',
  description:
    'pending: will be (re)tried at nextAttemptAt; succeeded: the endpoint answered 2xx; failed: retries ran out',
});

export const WebhookDelivery = Type.Object(
  {
    id: Type.Integer({ examples: [311] }),
    webhookId: Type.Integer({ examples: [2] }),
    eventId: Type.Integer({ description: 'The event delivered', examples: [90210] }),
    eventType: Type.String({ examples: ['machine.activated'] }),
    status: DeliveryStatus,
    attemptCount: Type.Integer({ description: 'Attempts so far', examples: [1] }),
    nextAttemptAt: Nullable(Timestamp, { description: 'pending: when the next attempt runs' }),
    lastStatusCode: Nullable(Type.Integer(), {
      description: "The endpoint's last HTTP status",
      examples: [200],
    }),
    lastError: Nullable(Type.String(), { description: 'Why the last attempt failed', examples: [null] }),
    deliveredAt: Nullable(Timestamp, { examples: [EXAMPLE.updatedAt] }),
    createdAt: Type.String({ format: 'date-time', examples: [EXAMPLE.createdAt] }),
  },
  { title: 'WebhookDelivery', description: 'One event on its way to one endpoint.' },
);

export const WebhookAttempt = Type.Object(
  {
    id: Type.Integer({ examples: [977] }),
    attemptedAt: Type.String({ format: 'date-time', examples: [EXAMPLE.updatedAt] }),
    statusCode: Nullable(Type.Integer(), { description: "The endpoint's HTTP status; null when none came" }),
    error: Nullable(Type.String(), { examples: ['connect ECONNREFUSED'] }),
    responseExcerpt: Nullable(Type.String(), { description: "The start of the endpoint's answer" }),
    durationMs: Type.Integer({ examples: [84] }),
  },
  { title: 'WebhookAttempt', description: 'One attempt of a delivery.' },
);

export const WebhookDeliveryDetail = Type.Object(
  {
    ...WebhookDelivery.properties,
    attempts: Type.Array(WebhookAttempt, { description: 'Every attempt, oldest first' }),
  },
  { title: 'WebhookDeliveryDetail', description: 'A delivery with its attempts.' },
);

export const DeliveryListQuery = Type.Object(
  {
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'At most this many deliveries' }),
    ),
    after: Type.Optional(
      Type.String({ maxLength: 40, description: 'The `nextCursor` of the previous page', examples: ['311'] }),
    ),
    status: Type.Optional(DeliveryStatus),
  },
  { additionalProperties: false },
);
