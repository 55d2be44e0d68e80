/**
 * What a payment provider told Keyward, in Keyward's words. Each provider's surface (Stripe, Paddle Billing,
 * Lemon Squeezy) verifies a webhook with the provider's SDK and translates it into one of these; core decides
 * what it does to licenses. Identifiers stay the provider's own strings.
 */

export const PAYMENT_PROVIDERS = ['stripe', 'paddle', 'lemonsqueezy'] as const;
export type PaymentProvider = (typeof PAYMENT_PROVIDERS)[number];

export const PURCHASE_CHANGES = [
  /** A checkout or order was paid: licenses for its items go to the buyer. */
  'purchase_completed',
  /** A subscription was paid for another period: its licenses run to `periodEndsAt`. */
  'subscription_renewed',
  /** A subscription's items or quantities changed (upgrade, downgrade, seats). */
  'subscription_changed',
  /** A subscription was cancelled: its licenses run to `periodEndsAt` (the end of what was paid), then end. */
  'subscription_canceled',
  /** Money went back (refund) or was taken back (chargeback): the connection says suspend or revoke. */
  'payment_reversed',
  /** The provider's customer record changed (Paddle sends the buyer's email only here). */
  'customer_updated',
] as const;
export type PurchaseChange = (typeof PURCHASE_CHANGES)[number];

export interface PurchaseBuyer {
  /** The provider's customer id (`cus_…`, `ctm_…`, a Lemon Squeezy customer id), when it names one. */
  providerCustomerId: string | null;
  email: string | null;
  name: string | null;
}

export interface PurchaseItem {
  /** What the vendor maps to a policy: a Stripe price, a Paddle price, a Lemon Squeezy variant. */
  providerItemId: string;
  quantity: number;
}

export interface PurchaseEvent {
  change: PurchaseChange;
  buyer: PurchaseBuyer;
  /** The checkout session, transaction or order the purchase was made in. */
  orderId: string | null;
  subscriptionId: string | null;
  /** Payments this event names (payment intents, invoices, transactions), so a later refund finds its purchase. */
  paymentIds: string[];
  /** Empty when the event names no items (a cancellation, a refund). */
  items: PurchaseItem[];
  /** The end of the paid period, for subscriptions; null for one-time purchases. */
  periodEndsAt: Date | null;
}

/** A buyer the event names only by the provider's customer id, if at all (a cancellation, a refund). */
export function buyerById(providerCustomerId: string | null): PurchaseBuyer {
  return { providerCustomerId, email: null, name: null };
}

/** An event's fields naming nothing but its buyer: each adapter adds what its provider's event names. */
export function namingOnly(buyer: PurchaseBuyer): Omit<PurchaseEvent, 'change'> {
  return { buyer, orderId: null, subscriptionId: null, paymentIds: [], items: [], periodEndsAt: null };
}

/** A verified webhook, translated: `purchase` is null for event types Keyward does not act on (kept, ignored). */
export interface ReceivedPaymentEvent {
  /** The provider's event id: the same id twice is one event. */
  providerEventId: string;
  /** As the provider names it (`checkout.session.completed`, `transaction.completed`, `order_created`). */
  providerEventType: string;
  /** When the provider says it happened; orders events that arrive out of order. */
  occurredAt: Date;
  purchase: PurchaseEvent | null;
}
