import { Type } from 'typebox';
import { PAYMENT_EVENT_STATUSES, REFUND_ACTIONS } from '../../core/commerce/commerce-ports.js';
import { PAYMENT_PROVIDERS, PURCHASE_CHANGES } from '../../core/commerce/purchase-event.js';
import { EXAMPLE } from './openapi/examples.js';
import { Id, Nullable } from './schemas.js';

/** Request and response shapes of the payment connection routes. */

const Provider = Type.Enum([...PAYMENT_PROVIDERS], {
  description: 'The payment provider: stripe, paddle (Paddle Billing) or lemonsqueezy',
});
const RefundAction = Type.Enum([...REFUND_ACTIONS], {
  description:
    "What a refund or chargeback does to the purchase's licenses: suspend (undoable) or revoke (final)",
});
const Secret = (description: string) => Type.String({ minLength: 8, maxLength: 500, description });
const WEBHOOK_SECRET =
  'The signing secret the provider shows for this webhook endpoint; kept sealed, never answered';
const API_KEY =
  "Stripe: a restricted key that may read checkout sessions' line items; kept sealed, never answered";

export const ItemMapping = Type.Object(
  {
    providerItemId: Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'The Stripe price, Paddle price or Lemon Squeezy variant id',
      examples: ['price_1PqXyZ'],
    }),
    policyId: Type.Integer({ ...Id, description: 'The policy its licenses get', examples: [3] }),
    seatsPerUnit: Type.Integer({
      minimum: 1,
      maximum: 100_000,
      description: "Machines per unit bought: a license's max machines is quantity × seatsPerUnit",
      examples: [1],
    }),
  },
  { additionalProperties: false, title: 'PaymentItemMapping' },
);
const Mappings = Type.Array(ItemMapping, {
  maxItems: 500,
  description: 'Which policy each sold item issues',
});

export const PaymentConnection = Type.Object(
  {
    id: Type.Integer({ examples: [1] }),
    provider: Provider,
    name: Type.String({ examples: ['Stripe (live)'] }),
    refundAction: RefundAction,
    hasWebhookSecret: Type.Boolean({
      description:
        'Whether the webhook secret is set; until it is, deliveries are refused with 503 and the provider retries them',
    }),
    webhookSecretHint: Nullable(Type.String(), {
      description: 'The last characters of the webhook secret; null until it is set',
      examples: ['…x9Qz'],
    }),
    hasApiKey: Type.Boolean({ description: 'Whether an API key is set' }),
    apiKeyHint: Nullable(Type.String(), { description: 'The last characters of the API key, if set' }),
    webhookPath: Type.String({
      description: "Where the provider sends this connection's events, below the server's public address",
      examples: ['/payments/webhooks/1'],
    }),
    mappings: Type.Array(ItemMapping),
    createdAt: Type.String({ format: 'date-time', examples: [EXAMPLE.createdAt] }),
    updatedAt: Type.String({ format: 'date-time', examples: [EXAMPLE.updatedAt] }),
  },
  { title: 'PaymentConnection', description: 'A connection to a payment provider, without its secrets.' },
);

export const PaymentConnectionCreate = Type.Object(
  {
    provider: Provider,
    name: Type.String({ minLength: 1, maxLength: 200, examples: ['Stripe (live)'] }),
    webhookSecret: Type.Optional(
      Nullable(
        Secret(
          `${WEBHOOK_SECRET}. Optional: the provider shows it only after the endpoint is created at the ` +
            "answer's webhookPath, so it may be set later with PATCH; until then deliveries answer 503 and the " +
            'provider retries them',
        ),
      ),
    ),
    apiKey: Type.Optional(Nullable(Secret(API_KEY))),
    refundAction: Type.Optional(RefundAction),
    mappings: Type.Optional(Mappings),
  },
  { additionalProperties: false },
);

export const PaymentConnectionUpdate = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    webhookSecret: Type.Optional(
      Secret(
        `${WEBHOOK_SECRET}. Sets it, or replaces it (applies to the next delivery); it cannot be removed, so null ` +
          'is refused',
      ),
    ),
    apiKey: Type.Optional(Nullable(Secret(`${API_KEY}; null removes it`))),
    refundAction: Type.Optional(RefundAction),
    mappings: Type.Optional(
      Type.Array(ItemMapping, { maxItems: 500, description: 'Replaces every mapping' }),
    ),
  },
  { additionalProperties: false },
);

export const PaymentEvent = Type.Object(
  {
    id: Type.Integer({ examples: [7] }),
    connectionId: Type.Integer({ examples: [1] }),
    providerEventId: Type.String({ examples: ['evt_1PqXyZ'] }),
    providerEventType: Type.String({ examples: ['checkout.session.completed'] }),
    change: Nullable(Type.Enum([...PURCHASE_CHANGES]), {
      description: 'What Keyward read it as; null for event types it does not act on',
    }),
    occurredAt: Type.String({ format: 'date-time', description: 'When the provider says it happened' }),
    receivedAt: Type.String({ format: 'date-time' }),
    status: Type.Enum([...PAYMENT_EVENT_STATUSES], {
      description:
        'received (not applied yet), applied, ignored (changed nothing: see outcome), waiting (for the purchase ' +
        'it names; applied once that arrives) or failed (see error; the provider delivers it again)',
    }),
    outcome: Nullable(Type.String(), {
      description: 'What it did, in words',
      examples: ['created license 12 (Pro, 3 seats) for ada@example.com'],
    }),
    error: Nullable(Type.String(), { description: 'Why applying it failed' }),
    licenseIds: Type.Array(Type.Integer(), { description: 'The licenses it changed' }),
    handledAt: Nullable(Type.String({ format: 'date-time' })),
  },
  { title: 'PaymentEvent', description: 'An event a payment provider sent, with what it did.' },
);

export const PaymentEventDetail = Type.Object(
  {
    ...PaymentEvent.properties,
    payload: Type.String({ description: 'The body the provider sent, as received' }),
    isPayloadTruncated: Type.Boolean({ description: 'Whether the stored body was cut at 256 KiB' }),
  },
  { title: 'PaymentEventDetail', description: 'A payment event with the body the provider sent.' },
);

export const PaymentEventParams = Type.Object({
  id: Type.Integer({ ...Id, description: 'The connection id', examples: [1] }),
  eventId: Type.Integer({ ...Id, description: 'The event id', examples: [7] }),
});
