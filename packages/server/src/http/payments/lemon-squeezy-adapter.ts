import { createHmac, timingSafeEqual } from 'node:crypto';
import { namingOnly, type PurchaseEvent } from '../../core/commerce/purchase-event.js';
import { headerValue } from './header-value.js';
import {
  id,
  isoTime,
  optionalId,
  optionalIsoTime,
  optionalText,
  parseJson,
  quantity,
  record,
} from './payload-fields.js';
import type { PaymentAdapter } from './payment-adapter.js';
import { SignatureRefused } from './payment-adapter.js';

/**
 * Lemon Squeezy webhooks. Its official SDK (@lemonsqueezy/lemonsqueezy.js) has no webhook verification, so
 * Keyward checks the documented scheme itself: `X-Signature` is the hex HMAC-SHA256 of the raw body with the
 * webhook's signing secret, compared in constant time (`timingSafeEqual`).
 *
 * The scheme signs no timestamp and the payload has no event id, so an old request cannot be told from a new
 * one by its signature: replay protection is the core's idempotency on the id derived below. A replayed
 * request is the same event and is applied once.
 */

export function createLemonSqueezyAdapter(): PaymentAdapter {
  return {
    provider: 'lemonsqueezy',
    async receive({ rawBody, headers, secret }) {
      verifySignature(rawBody, headerValue(headers, 'x-signature'), secret);
      const body = record(parseJson(rawBody, 'Lemon Squeezy'), 'event');
      const eventName = id(record(body.meta, 'meta').event_name, 'meta.event_name');
      const data = record(body.data, 'data');
      const attributes = record(data.attributes, 'data.attributes');
      const updatedAt = optionalIsoTime(attributes.updated_at, 'updated_at');
      const occurredAt = updatedAt ?? isoTime(attributes.created_at, 'created_at');
      return {
        // No event id in the payload. The event name, the object and its `updated_at` name one change of one
        // object, and stay the same however often Lemon Squeezy resends it. A hash of the body would not:
        // subscription payloads carry pre-signed customer-portal URLs that are signed anew each time.
        providerEventId: `${eventName}:${id(data.type, 'data.type')}:${id(data.id, 'data.id')}:${occurredAt.toISOString()}`,
        providerEventType: eventName,
        occurredAt,
        purchase: translate(eventName, id(data.id, 'data.id'), attributes),
      };
    },
  };
}

function verifySignature(rawBody: string, signature: string | undefined, secret: string): void {
  if (signature === undefined) throw new SignatureRefused('the X-Signature header is missing');
  if (secret === '') throw new SignatureRefused('the connection has no Lemon Squeezy signing secret');
  const expected = createHmac('sha256', secret).update(rawBody, 'utf8').digest();
  const given = /^[0-9a-f]{64}$/i.test(signature) ? Buffer.from(signature, 'hex') : null;
  if (given === null || !timingSafeEqual(given, expected)) {
    throw new SignatureRefused('the Lemon Squeezy signature does not match');
  }
}

type Attributes = Record<string, unknown>;

function translate(eventName: string, objectId: string, attributes: Attributes): PurchaseEvent | null {
  switch (eventName) {
    case 'order_created':
      return attributes.status === 'paid' ? orderCreated(objectId, attributes) : null;
    case 'subscription_created':
      return subscriptionCreated(objectId, attributes);
    case 'subscription_payment_success':
      return attributes.billing_reason === 'renewal' ? subscriptionRenewed(objectId, attributes) : null;
    case 'subscription_updated':
      return subscriptionUpdated(objectId, attributes);
    case 'subscription_cancelled':
    case 'subscription_expired':
      return {
        ...namingOnly(buyerOf(attributes)),
        change: 'subscription_canceled',
        subscriptionId: objectId,
        periodEndsAt: isoTime(attributes.ends_at, 'ends_at'),
      };
    case 'order_refunded':
      // `refunded` is the whole order; a partial refund keeps status `paid` and the purchase standing.
      return attributes.status === 'refunded'
        ? {
            ...namingOnly(buyerOf(attributes)),
            change: 'payment_reversed',
            orderId: objectId,
            paymentIds: [objectId],
          }
        : null;
    case 'subscription_payment_refunded':
      return attributes.status === 'refunded'
        ? {
            ...namingOnly(buyerOf(attributes)),
            change: 'payment_reversed',
            subscriptionId: id(attributes.subscription_id, 'subscription_id'),
            paymentIds: [objectId],
          }
        : null;
    default:
      return null;
  }
}

/**
 * A paid order. An order holds one item (`first_order_item`: Lemon Squeezy's checkout sells one variant at a
 * time). For a subscription product the order names no subscription: `subscription_created` follows with the
 * same order id, the subscription and its period (below).
 */
function orderCreated(orderId: string, attributes: Attributes): PurchaseEvent {
  const item = record(attributes.first_order_item, 'first_order_item');
  return {
    ...namingOnly(buyerOf(attributes)),
    change: 'purchase_completed',
    orderId,
    paymentIds: [orderId],
    items: [
      {
        providerItemId: id(item.variant_id, 'first_order_item.variant_id'),
        quantity: quantity(item.quantity ?? 1, 'first_order_item.quantity'),
      },
    ],
  };
}

/**
 * A subscription bought: translated as the same purchase as its `order_created` (same order id), now with
 * the subscription id and the paid period. The two events arrive in either order; the core treats a second
 * `purchase_completed` for an order it knows as that purchase, completed with what the second one adds, so
 * the order becomes one license, linked to its subscription for the renewals and cancellation to come.
 */
function subscriptionCreated(subscriptionId: string, attributes: Attributes): PurchaseEvent {
  const orderId = id(attributes.order_id, 'order_id');
  return {
    ...subscriptionState(subscriptionId, attributes),
    change: 'purchase_completed',
    orderId,
    paymentIds: [orderId],
  };
}

/**
 * A renewal paid. The payload is the subscription invoice, which names its subscription but no period (see
 * the SDK's SubscriptionInvoice): periodEndsAt stays null here, and the new period end arrives with the
 * `subscription_updated` Lemon Squeezy sends with each renewal (`renews_at`), translated below.
 */
function subscriptionRenewed(invoiceId: string, attributes: Attributes): PurchaseEvent {
  return {
    ...namingOnly(buyerOf(attributes)),
    change: 'subscription_renewed',
    subscriptionId: id(attributes.subscription_id, 'subscription_id'),
    paymentIds: [invoiceId],
  };
}

/**
 * Lemon Squeezy's catch-all: sent on every change of a running subscription (a variant change, a quantity
 * change, a renewal moving `renews_at`). Translated as the subscription's whole current state: its item and
 * the end of the paid period. A cancelled or expired subscription is translated from its own events.
 */
function subscriptionUpdated(subscriptionId: string, attributes: Attributes): PurchaseEvent | null {
  const running = ['active', 'on_trial', 'past_due'];
  if (typeof attributes.status !== 'string' || !running.includes(attributes.status)) return null;
  return { ...subscriptionState(subscriptionId, attributes), change: 'subscription_changed' };
}

function subscriptionState(subscriptionId: string, attributes: Attributes): Omit<PurchaseEvent, 'change'> {
  const item = attributes.first_subscription_item;
  // No subscription item during a free trial; a subscription is for one of its variant then.
  const count =
    item === null || item === undefined
      ? 1
      : quantity(record(item, 'first_subscription_item').quantity, 'first_subscription_item.quantity');
  return {
    ...namingOnly(buyerOf(attributes)),
    orderId: optionalId(attributes.order_id, 'order_id'),
    subscriptionId,
    items: [{ providerItemId: id(attributes.variant_id, 'variant_id'), quantity: count }],
    // A trial is paid up to its end (`renews_at` is the first charge); `ends_at` is set once cancelled.
    periodEndsAt:
      optionalIsoTime(attributes.ends_at, 'ends_at') ?? isoTime(attributes.renews_at, 'renews_at'),
  };
}

function buyerOf(attributes: Attributes): PurchaseEvent['buyer'] {
  return {
    providerCustomerId: optionalId(attributes.customer_id, 'customer_id'),
    email: optionalText(attributes.user_email, 'user_email'),
    name: optionalText(attributes.user_name, 'user_name'),
  };
}
