import { type TSchema, Type } from 'typebox';
import { DELIVERY_STATUSES } from '../../core/webhook-ports.js';
import { Id, Timestamp } from './schemas.js';

/** Request and response shapes of the webhook routes. */

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const EventTypes = Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { minItems: 1, maxItems: 100 });

export const Webhook = Type.Object({
  id: Type.Integer(),
  url: Type.String(),
  description: Nullable(Type.String()),
  eventTypes: Type.Array(Type.String()),
  productIds: Type.Array(Type.Integer()),
  isEnabled: Type.Boolean(),
  includeImportRecords: Type.Boolean({
    description:
      'Whether the endpoint hears each record an import writes; otherwise an import sends one ' +
      'import.completed or import.failed summary.',
  }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const WebhookWithSecret = Type.Object({
  ...Webhook.properties,
  secret: Type.String({ description: 'Shown only in this answer: keep it to verify signatures.' }),
});

export const WebhookCreate = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2048 }),
    description: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
    eventTypes: EventTypes,
    productIds: Type.Optional(Type.Array(Id, { maxItems: 1000 })),
    isEnabled: Type.Optional(Type.Boolean()),
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

export const DeliveryStatus = Type.Enum([...DELIVERY_STATUSES]);

export const WebhookDelivery = Type.Object({
  id: Type.Integer(),
  webhookId: Type.Integer(),
  eventId: Type.Integer(),
  eventType: Type.String(),
  status: DeliveryStatus,
  attemptCount: Type.Integer(),
  nextAttemptAt: Nullable(Timestamp),
  lastStatusCode: Nullable(Type.Integer()),
  lastError: Nullable(Type.String()),
  deliveredAt: Nullable(Timestamp),
  createdAt: Timestamp,
});

export const WebhookAttempt = Type.Object({
  id: Type.Integer(),
  attemptedAt: Timestamp,
  statusCode: Nullable(Type.Integer()),
  error: Nullable(Type.String()),
  responseExcerpt: Nullable(Type.String()),
  durationMs: Type.Integer(),
});

export const WebhookDeliveryDetail = Type.Object({
  ...WebhookDelivery.properties,
  attempts: Type.Array(WebhookAttempt),
});

export const DeliveryListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    after: Type.Optional(Type.String({ maxLength: 40 })),
    status: Type.Optional(DeliveryStatus),
  },
  { additionalProperties: false },
);
