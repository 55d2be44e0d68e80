import type Stripe from 'stripe';
import {
  buyerById,
  namingOnly,
  type PurchaseEvent,
  type PurchaseItem,
} from '../../core/commerce/purchase-event.js';
import {
  epochSeconds,
  id,
  latest,
  list,
  optionalEpochSeconds,
  optionalIdOf,
  optionalText,
  quantity,
  record,
} from './payload-fields.js';
import { periodEndOfItems } from './stripe-period-end.js';

/** What translating some Stripe events needs from Stripe's API (see stripe-adapter.ts). */
export interface StripeLookups {
  checkoutLineItems(sessionId: string): Promise<PurchaseItem[]>;
  subscriptionPeriodEnd(subscriptionId: string): Promise<Date | null>;
  invoiceLines(invoiceId: string): Promise<Stripe.InvoiceLineItem[]>;
  invoicesPaidBy(paymentIntentId: string): Promise<string[]>;
}

/**
 * A verified Stripe event in Keyward's words, or null for the event types Keyward does not act on. Written
 * against API version 2025-03-31 and later (the SDK's own), where an invoice names its subscription under
 * `parent.subscription_details` and a subscription's period lives on its items.
 */
export async function translateStripeEvent(
  event: Stripe.Event,
  api: StripeLookups,
): Promise<PurchaseEvent | null> {
  switch (event.type) {
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded':
      return checkoutCompleted(event.data.object, api);
    case 'invoice.paid':
      return invoicePaid(event.data.object, api);
    case 'customer.subscription.updated':
      return subscriptionUpdated(event.data.object);
    case 'customer.subscription.deleted':
      return subscriptionDeleted(event.data.object, event.created);
    case 'charge.refunded':
      return chargeRefunded(event.data.object, api);
    case 'charge.dispute.created':
      return disputeCreated(event.data.object, api);
    default:
      return null;
  }
}

/**
 * A paid checkout. `paid` for one-time purchases and paid subscriptions, `no_payment_required` for a
 * subscription that starts with a trial or a full discount. `unpaid` means a delayed payment method (bank
 * debit) is still settling: Stripe sends `checkout.session.async_payment_succeeded` when it clears, and that
 * is when the licenses are issued.
 */
async function checkoutCompleted(session: Stripe.Checkout.Session, api: StripeLookups) {
  const paid = session.payment_status === 'paid' || session.payment_status === 'no_payment_required';
  if (!paid) return null;
  const sessionId = id(session.id, 'session.id');
  const subscriptionId = optionalIdOf(session.subscription, 'session.subscription');
  const details =
    session.customer_details === null ? null : record(session.customer_details, 'customer_details');
  return {
    change: 'purchase_completed',
    buyer: {
      providerCustomerId: optionalIdOf(session.customer, 'session.customer'),
      email: optionalText(details?.email, 'customer_details.email'),
      name: optionalText(details?.name, 'customer_details.name'),
    },
    orderId: sessionId,
    subscriptionId,
    paymentIds: present([
      optionalIdOf(session.payment_intent, 'session.payment_intent'),
      optionalIdOf(session.invoice, 'session.invoice'),
    ]),
    // A Checkout Session's webhook never carries its line items: Stripe's API is asked for them.
    items: await api.checkoutLineItems(sessionId),
    periodEndsAt: subscriptionId === null ? null : await api.subscriptionPeriodEnd(subscriptionId),
  } satisfies PurchaseEvent;
}

/**
 * A subscription invoice paid: `subscription_cycle` is a renewal, `subscription_update` an upgrade,
 * downgrade or seat change paid for. The first invoice (`subscription_create`) is the checkout's, already
 * translated from `checkout.session.completed`; manual and threshold invoices do not change licenses.
 */
async function invoicePaid(invoice: Stripe.Invoice, api: StripeLookups): Promise<PurchaseEvent | null> {
  const change =
    invoice.billing_reason === 'subscription_cycle'
      ? 'subscription_renewed'
      : invoice.billing_reason === 'subscription_update'
        ? 'subscription_changed'
        : null;
  if (change === null) return null;
  const invoiceId = id(invoice.id, 'invoice.id');
  const lines = record(invoice.lines, 'invoice.lines');
  // A webhook carries the first page of lines; an invoice with more is read whole from the API.
  const allLines =
    lines.has_more === true ? await api.invoiceLines(invoiceId) : list(lines.data, 'invoice.lines.data');
  const current = allLines
    .map((line) => record(line, 'invoice line'))
    .filter((line) => !isProrationCredit(line));
  const subscription = record(
    invoice.parent?.subscription_details ?? {},
    'invoice.parent.subscription_details',
  );
  return {
    change,
    buyer: {
      providerCustomerId: optionalIdOf(invoice.customer, 'invoice.customer'),
      email: optionalText(invoice.customer_email, 'invoice.customer_email'),
      name: optionalText(invoice.customer_name, 'invoice.customer_name'),
    },
    orderId: null,
    subscriptionId: optionalIdOf(subscription.subscription, 'invoice subscription'),
    paymentIds: present([invoiceId, ...invoicePaymentIntents(invoice)]),
    items: itemsOfLines(current),
    // The line's period is the one paid for; the invoice's own period_end is the one that just ended.
    periodEndsAt: latest(
      current.map((line) => epochSeconds(record(line.period, 'line.period').end, 'line.period.end')),
    ),
  };
}

/** The credit for the unused time of the old price, on an upgrade's invoice: not something the buyer holds. */
function isProrationCredit(line: Record<string, unknown>): boolean {
  const parent =
    line.parent === null || line.parent === undefined ? null : record(line.parent, 'line.parent');
  const details = parent?.subscription_item_details;
  const proration =
    typeof details === 'object' && details !== null && (details as { proration?: unknown }).proration;
  return proration === true && typeof line.amount === 'number' && line.amount < 0;
}

/**
 * The prices an invoice's lines are for, each once: an upgrade's invoice may bill one price twice (the
 * prorated rest of this period and the next period), for the same quantity.
 */
function itemsOfLines(lines: Array<Record<string, unknown>>): PurchaseItem[] {
  const byPrice = new Map<string, number>();
  for (const line of lines) {
    const pricing =
      line.pricing === null || line.pricing === undefined ? null : record(line.pricing, 'line.pricing');
    const details = pricing?.price_details;
    if (details === undefined || details === null) continue;
    const price = optionalIdOf(record(details, 'line.pricing.price_details').price, 'line price');
    if (price === null) continue;
    const count = line.quantity === null ? 1 : quantity(line.quantity, 'line.quantity');
    byPrice.set(price, Math.max(byPrice.get(price) ?? 0, count));
  }
  return [...byPrice].map(([providerItemId, count]) => ({ providerItemId, quantity: count }));
}

function invoicePaymentIntents(invoice: Stripe.Invoice): Array<string | null> {
  // `payments` is in an invoice only when asked for (`include`); without it the invoice id names the payment.
  if (invoice.payments === undefined || invoice.payments === null) return [];
  return list(record(invoice.payments, 'invoice.payments').data, 'invoice.payments.data').map((payment) => {
    const paid = record(record(payment, 'invoice payment').payment, 'invoice payment.payment');
    return optionalIdOf(paid.payment_intent, 'invoice payment intent');
  });
}

/**
 * A cancellation scheduled for the end of the period. Stripe says so two ways: `cancel_at_period_end` (the
 * API's flag) or `cancel_at` (a date, which the Dashboard sets since 2025). Other updates (items, quantities)
 * are translated from the invoice that pays for them.
 */
function subscriptionUpdated(subscription: Stripe.Subscription): PurchaseEvent | null {
  let endsAt: Date | null = null;
  if (subscription.cancel_at_period_end === true) {
    endsAt = periodEndOfItems(
      list(record(subscription.items, 'subscription.items').data, 'subscription.items.data') as Array<{
        current_period_end?: unknown;
      }>,
    );
  } else if (subscription.cancel_at !== null && subscription.cancel_at !== undefined) {
    endsAt = epochSeconds(subscription.cancel_at, 'subscription.cancel_at');
  } else {
    return null;
  }
  return canceled(subscription, endsAt);
}

/** The subscription has ended (immediately, or at the end of the period it was set to cancel at). */
function subscriptionDeleted(subscription: Stripe.Subscription, eventCreated: number): PurchaseEvent {
  const endedAt =
    optionalEpochSeconds(subscription.ended_at, 'subscription.ended_at') ??
    optionalEpochSeconds(subscription.canceled_at, 'subscription.canceled_at') ??
    epochSeconds(eventCreated, 'event.created');
  return canceled(subscription, endedAt);
}

function canceled(subscription: Stripe.Subscription, periodEndsAt: Date | null): PurchaseEvent {
  return {
    ...namingOnly(buyerById(optionalIdOf(subscription.customer, 'subscription.customer'))),
    change: 'subscription_canceled',
    subscriptionId: id(subscription.id, 'subscription.id'),
    periodEndsAt,
  };
}

/**
 * A charge refunded in full. A partial refund (a discount given afterwards, a refunded tax) leaves the
 * purchase standing, so `charge.refunded` with `refunded: false` is not acted on.
 */
async function chargeRefunded(charge: Stripe.Charge, api: StripeLookups): Promise<PurchaseEvent | null> {
  if (charge.refunded !== true) return null;
  return reversed(
    id(charge.id, 'charge.id'),
    optionalIdOf(charge.payment_intent, 'charge.payment_intent'),
    {
      providerCustomerId: optionalIdOf(charge.customer, 'charge.customer'),
      email: optionalText(charge.billing_details?.email, 'charge.billing_details.email'),
      name: optionalText(charge.billing_details?.name, 'charge.billing_details.name'),
    },
    api,
  );
}

/** A chargeback opened: the money is taken back now, whatever the dispute's outcome later. */
async function disputeCreated(dispute: Stripe.Dispute, api: StripeLookups): Promise<PurchaseEvent> {
  const chargeId = optionalIdOf(dispute.charge, 'dispute.charge');
  return reversed(
    chargeId ?? id(dispute.id, 'dispute.id'),
    optionalIdOf(dispute.payment_intent, 'dispute.payment_intent'),
    buyerById(null),
    api,
  );
}

/**
 * Since API version 2025-03-31 a charge no longer names its invoice; a subscription's purchase is known by
 * its invoices, so the invoices this payment intent paid are looked up and named too.
 */
async function reversed(
  chargeId: string,
  paymentIntentId: string | null,
  buyer: PurchaseEvent['buyer'],
  api: StripeLookups,
): Promise<PurchaseEvent> {
  const invoiceIds = paymentIntentId === null ? [] : await api.invoicesPaidBy(paymentIntentId);
  return {
    ...namingOnly(buyer),
    change: 'payment_reversed',
    paymentIds: present([paymentIntentId, ...invoiceIds, chargeId]),
  };
}

function present(ids: Array<string | null>): string[] {
  return [...new Set(ids.filter((value): value is string => value !== null))];
}
