import {
  type AdjustmentNotification,
  type CustomerNotification,
  type EventEntity,
  EventName,
  NodeRuntime,
  type SubscriptionNotification,
  type TransactionNotification,
  Webhooks,
} from '@paddle/paddle-node-sdk';
import { buyerById, namingOnly, type PurchaseEvent } from '../../core/commerce/purchase-event.js';
import { headerValue } from './header-value.js';
import { MalformedPaymentEvent } from './malformed-payment-event.js';
import {
  id,
  isoTime,
  list,
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
 * Paddle Billing webhooks, verified by the official SDK (`Webhooks.isSignatureValid`): the `Paddle-Signature`
 * header `ts=…;h1=…`, where h1 is a hex HMAC-SHA256 of `ts:body` with the notification destination's secret
 * key, and ts at most 5 seconds old. Two limits of the SDK, kept because the brief is to verify with it:
 *
 * - It reads the time itself (`new Date()`), so the 5 seconds are measured on the host's clock, not the
 *   injected one (`now` is not used here); the host's clock must be right (NTP).
 * - It compares the signature with `===`, not in constant time. The secret cannot be recovered from timing
 *   without thousands of requests each inside the 5-second window, but it is weaker than Stripe's check.
 *   It also reads one `h1` only, so during Paddle's secret rotation (two `h1` values) the last one must match.
 *
 * A replay after 5 seconds is refused by that window; inside it, the event id (`event_id`) is the same, and
 * the core applies an event once.
 */

export function createPaddleAdapter(): PaymentAdapter {
  // The SDK's signature check needs its runtime (Node's crypto) installed; this is what `new Paddle()` does.
  NodeRuntime.initialize();
  const webhooks = new Webhooks();
  return {
    provider: 'paddle',
    async receive({ rawBody, headers, secret }) {
      const signature = headerValue(headers, 'paddle-signature');
      if (signature === undefined) throw new SignatureRefused('the Paddle-Signature header is missing');
      if (secret === '') throw new SignatureRefused('the connection has no Paddle secret key');
      let isValid: boolean;
      try {
        isValid = await webhooks.isSignatureValid(rawBody, secret, signature);
      } catch {
        // The SDK throws on a header without `ts` and `h1`.
        isValid = false;
      }
      if (!isValid) throw new SignatureRefused('Paddle signature does not match or is older than 5 seconds');
      const event = readEvent(rawBody);
      return {
        providerEventId: id(event.eventId, 'event_id'),
        providerEventType: id(event.eventType, 'event_type'),
        occurredAt: isoTime(event.occurredAt, 'occurred_at'),
        purchase: translatePaddleEvent(event),
      };
    },
  };
}

/** The verified body as the SDK's event entity; the SDK's constructors throw a TypeError on a missing part. */
function readEvent(rawBody: string): EventEntity {
  const body = record(parseJson(rawBody, 'Paddle'), 'event');
  record(body.data, 'event.data');
  try {
    // biome-ignore lint/suspicious/noExplicitAny: the SDK types its input as its own response shape; it is checked by the SDK's constructors here.
    return Webhooks.fromJson(body as any);
  } catch (error) {
    throw new MalformedPaymentEvent(`the Paddle event cannot be read: ${error}`);
  }
}

function translatePaddleEvent(event: EventEntity): PurchaseEvent | null {
  switch (event.eventType) {
    case EventName.TransactionCompleted:
      return transactionCompleted(event.data);
    case EventName.SubscriptionCanceled:
      return canceled(
        event.data,
        optionalIsoTime(event.data.currentBillingPeriod?.endsAt, 'current_billing_period.ends_at') ??
          isoTime(event.data.canceledAt, 'canceled_at'),
      );
    case EventName.SubscriptionUpdated:
      return event.data.scheduledChange?.action === 'cancel'
        ? canceled(
            event.data,
            isoTime(event.data.scheduledChange.effectiveAt, 'scheduled_change.effective_at'),
          )
        : null;
    case EventName.AdjustmentCreated:
    case EventName.AdjustmentUpdated:
      return adjustment(event.data);
    case EventName.CustomerCreated:
    case EventName.CustomerUpdated:
      return customerUpdated(event.data);
    default:
      return null;
  }
}

/**
 * A completed transaction: a checkout (`web`) or one made through the API (`api`) is a purchase;
 * `subscription_recurring` renews; `subscription_update` pays for an upgrade, downgrade or seat change. A
 * payment-method change and a one-time charge against a subscription (`subscription_charge`) change no
 * license. Paddle sends no email with a transaction: the buyer's email comes with `customer.created`.
 */
function transactionCompleted(transaction: TransactionNotification): PurchaseEvent | null {
  const change =
    transaction.origin === 'web' || transaction.origin === 'api'
      ? 'purchase_completed'
      : transaction.origin === 'subscription_recurring'
        ? 'subscription_renewed'
        : transaction.origin === 'subscription_update'
          ? 'subscription_changed'
          : null;
  if (change === null) return null;
  const transactionId = id(transaction.id, 'transaction.id');
  return {
    change,
    buyer: buyerById(optionalId(transaction.customerId, 'customer_id')),
    orderId: transactionId,
    subscriptionId: optionalId(transaction.subscriptionId, 'subscription_id'),
    paymentIds: [transactionId],
    items: list(transaction.items, 'items').flatMap((item, index) => {
      const { price, quantity: count } = item as TransactionNotification['items'][number];
      return price === null
        ? []
        : [
            {
              providerItemId: id(price.id, `items[${index}].price.id`),
              quantity: quantity(count, `items[${index}].quantity`),
            },
          ];
    }),
    periodEndsAt: optionalIsoTime(transaction.billingPeriod?.endsAt, 'billing_period.ends_at'),
  };
}

function canceled(subscription: SubscriptionNotification, periodEndsAt: Date): PurchaseEvent {
  return {
    ...namingOnly(buyerById(optionalId(subscription.customerId, 'customer_id'))),
    change: 'subscription_canceled',
    subscriptionId: id(subscription.id, 'subscription.id'),
    periodEndsAt,
  };
}

/**
 * An approved refund or chargeback of a transaction. A partial refund leaves the purchase standing (a
 * goodwill credit, a refunded tax); one still pending approval has returned no money yet.
 */
function adjustment(adjustment: AdjustmentNotification): PurchaseEvent | null {
  const isReversal =
    (adjustment.action === 'refund' && adjustment.type === 'full') || adjustment.action === 'chargeback';
  if (!isReversal || adjustment.status !== 'approved') return null;
  return {
    ...namingOnly(buyerById(optionalId(adjustment.customerId, 'customer_id'))),
    change: 'payment_reversed',
    subscriptionId: optionalId(adjustment.subscriptionId, 'subscription_id'),
    paymentIds: [id(adjustment.transactionId, 'transaction_id')],
  };
}

function customerUpdated(customer: CustomerNotification): PurchaseEvent {
  return {
    ...namingOnly({
      providerCustomerId: id(customer.id, 'customer.id'),
      email: optionalText(customer.email, 'customer.email'),
      name: optionalText(customer.name, 'customer.name'),
    }),
    change: 'customer_updated',
  };
}
