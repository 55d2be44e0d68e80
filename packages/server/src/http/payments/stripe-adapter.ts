import Stripe from 'stripe';
import type { PurchaseItem } from '../../core/commerce/purchase-event.js';
import type { OutboundHttp } from '../outbound-http.js';
import { headerValue } from './header-value.js';
import { MalformedPaymentEvent } from './malformed-payment-event.js';
import { epochSeconds, id, record } from './payload-fields.js';
import type { PaymentAdapter } from './payment-adapter.js';
import { SignatureRefused } from './payment-adapter.js';
import { ProviderApiUnavailable } from './provider-api-unavailable.js';
import { type StripeLookups, translateStripeEvent } from './stripe-event-translation.js';
import { stripeHttpClient } from './stripe-http-client.js';
import { periodEndOfItems } from './stripe-period-end.js';

/**
 * Stripe webhooks, verified by the official SDK (`stripe.webhooks.constructEventAsync`): an HMAC-SHA256 of
 * `timestamp.body` with the endpoint's signing secret (`whsec_…`), compared in constant time by the SDK, and a
 * timestamp no older than 300 seconds by Keyward's clock (the SDK's `receivedAt`), so a captured request
 * replayed later is refused. A replay inside those 300 seconds carries the same event id, which the core
 * applies once.
 *
 * Some events need Stripe's API to be understood (a Checkout Session's line items are not in its webhook);
 * those calls use the connection's restricted API key through the same SDK.
 */

export const STRIPE_TOLERANCE_SECONDS = 300;

export interface StripeAdapterOptions {
  /** How the server reaches Stripe's API: the outbound module, under the operator's destination rules. */
  outbound: OutboundHttp;
  /**
   * Where Stripe's API answers: Stripe's own (`https://api.stripe.com`) unless given. Tests point it at a
   * loopback server that answers as Stripe's API does. Code sets it, never a vendor.
   */
  apiBase?: URL;
}

/** Stripe's API calls wait at most this long; a slower answer fails the delivery and Stripe retries it. */
const API_TIMEOUT_MS = 10_000;

export function createStripeAdapter(options: StripeAdapterOptions): PaymentAdapter {
  return {
    provider: 'stripe',
    async receive({ rawBody, headers, secret, apiKey, now }) {
      const event = await verifiedEvent(rawBody, headers, secret, now);
      const purchase = await translateStripeEvent(event, lookupsThrough(apiKey, options));
      return {
        providerEventId: event.id,
        providerEventType: event.type,
        occurredAt: epochSeconds(event.created, 'event.created'),
        purchase,
      };
    },
  };
}

async function verifiedEvent(
  rawBody: string,
  headers: Record<string, string | undefined>,
  secret: string,
  now: Date,
): Promise<Stripe.Event> {
  const signature = headerValue(headers, 'stripe-signature');
  if (signature === undefined) throw new SignatureRefused('the Stripe-Signature header is missing');
  let event: Stripe.Event;
  try {
    event = await Stripe.webhooks.constructEventAsync(
      rawBody,
      signature,
      secret,
      STRIPE_TOLERANCE_SECONDS,
      undefined,
      now.getTime(),
    );
  } catch (error) {
    if (error instanceof Stripe.errors.StripeSignatureVerificationError) {
      throw new SignatureRefused(`Stripe refused the signature: ${firstLine(error.message)}`);
    }
    // The signature held; what failed is reading the body (not JSON, or a thin v2 event notification).
    throw new MalformedPaymentEvent(`the Stripe event cannot be read: ${firstLine(String(error))}`);
  }
  const envelope = record(event, 'event');
  id(envelope.id, 'event.id');
  id(envelope.type, 'event.type');
  record(record(envelope.data, 'event.data').object, 'event.data.object');
  return event;
}

const firstLine = (text: string) => text.split('\n')[0] ?? text;

/**
 * Stripe's API through the SDK, with the connection's key. The client is made on first use, so an event that
 * needs no lookup is translated without a key.
 */
function lookupsThrough(apiKey: string | null, { outbound, apiBase }: StripeAdapterOptions): StripeLookups {
  let client: Stripe | null = null;
  const stripe = (): Stripe => {
    if (apiKey === null || apiKey === '') {
      throw new ProviderApiUnavailable(
        'API_KEY_MISSING',
        'this Stripe event needs Stripe API access: add a restricted API key to the connection',
      );
    }
    client ??= new Stripe(apiKey, {
      ...(apiBase === undefined
        ? {}
        : {
            host: apiBase.hostname,
            port: apiBase.port === '' ? (apiBase.protocol === 'http:' ? 80 : 443) : Number(apiBase.port),
            protocol: apiBase.protocol === 'http:' ? 'http' : 'https',
          }),
      httpClient: stripeHttpClient(outbound, API_TIMEOUT_MS),
      timeout: API_TIMEOUT_MS,
      maxNetworkRetries: 1,
      telemetry: false,
    });
    return client;
  };
  const ask = async <T>(what: string, call: (client: Stripe) => Promise<T>): Promise<T> => {
    const client = stripe();
    try {
      return await call(client);
    } catch (error) {
      // Stripe's error messages name the key only masked (`rk_live_****1234`); the key itself is never logged.
      throw new ProviderApiUnavailable('API_CALL_FAILED', `Stripe's API did not answer ${what}: ${error}`);
    }
  };
  return {
    checkoutLineItems: (sessionId) =>
      ask('the Checkout Session line items', async (client) => {
        const lines = await client.checkout.sessions
          .listLineItems(sessionId, { limit: 100 })
          .autoPagingToArray({ limit: 10_000 });
        return lines.flatMap((line): PurchaseItem[] =>
          // A line always has a price (ad-hoc `price_data` creates one); quantity is null only for lines
          // Stripe sells one of.
          line.price === null ? [] : [{ providerItemId: line.price.id, quantity: line.quantity ?? 1 }],
        );
      }),
    subscriptionPeriodEnd: (subscriptionId) =>
      ask('the subscription', async (client) => {
        const subscription = await client.subscriptions.retrieve(subscriptionId);
        return periodEndOfItems(subscription.items.data);
      }),
    invoiceLines: (invoiceId) =>
      ask('the invoice lines', (client) =>
        client.invoices.listLineItems(invoiceId, { limit: 100 }).autoPagingToArray({ limit: 10_000 }),
      ),
    invoicesPaidBy: (paymentIntentId) =>
      ask('the invoice payments', async (client) => {
        const payments = await client.invoicePayments.list({
          payment: { type: 'payment_intent', payment_intent: paymentIntentId },
          limit: 100,
        });
        return payments.data.map((payment) =>
          typeof payment.invoice === 'string' ? payment.invoice : payment.invoice.id,
        );
      }),
  };
}
