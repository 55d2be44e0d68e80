import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUBLIC_ONLY } from '../../core/operations/network-destinations.js';
import { type StripeApiServer, startStripeApiServer } from '../../test-support/stripe-api-server.js';
import { createOutboundHttp } from '../outbound-http.js';
import { MalformedPaymentEvent } from './malformed-payment-event.js';
import { SignatureRefused } from './payment-adapter.js';
import { ProviderApiUnavailable } from './provider-api-unavailable.js';
import { createStripeAdapter } from './stripe-adapter.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'stripe');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');
const SECRET = 'whsec_test_5d0c3f2a9b8e7d6c5b4a39281706f5e4';
const API_KEY = 'rk_test_51Kx8pQ2mN4vRestrictedKeyForKeyward';
const NOW = new Date('2026-12-01T09:00:00Z');
const nowSeconds = Math.floor(NOW.getTime() / 1000);

/** The body signed by the Stripe SDK's own test helper, as Stripe signs a delivery at `timestamp`. */
const signed = (payload: string, timestamp = nowSeconds, secret = SECRET) => ({
  rawBody: payload,
  headers: {
    'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp }),
  } as Record<string, string | undefined>,
});

let api: StripeApiServer;
beforeAll(async () => {
  api = await startStripeApiServer(API_KEY, {
    '/v1/checkout/sessions/cs_test_a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ0123456789abcdEF/line_items': join(
      FIXTURES,
      'api/line-items-subscription.json',
    ),
    '/v1/checkout/sessions/cs_test_b7Yq2Lm9Nx4Kp1Rs8Tv3Wz6Ac0Bd5Ef2Gh7Ij4Kl9Mn1Op6QrStUvWx/line_items': join(
      FIXTURES,
      'api/line-items-payment.json',
    ),
    '/v1/subscriptions/sub_1SZq3JKx8pQ2mN4vWxYz1234': join(FIXTURES, 'api/subscription.json'),
    '/v1/invoice_payments': join(FIXTURES, 'api/invoice-payments-subscription.json'),
    '/v1/invoices/in_1Sk2vNKx8pQ2mN4vCyCl0001/lines': join(FIXTURES, 'api/invoice-lines-cycle.json'),
  });
});
afterAll(() => api.close());

// The loopback Stripe is a private address: reached as an operator allowing private destinations would.
const adapter = () =>
  createStripeAdapter({ outbound: createOutboundHttp({ allowPrivate: 'all' }), apiBase: api.url });
const receive = (request: ReturnType<typeof signed>, options: { apiKey?: string | null; now?: Date } = {}) =>
  adapter().receive({
    ...request,
    secret: SECRET,
    apiKey: options.apiKey === undefined ? API_KEY : options.apiKey,
    now: options.now ?? NOW,
  });
const seconds = (value: number) => new Date(value * 1000);

describe('Stripe events Keyward acts on', () => {
  it('a paid subscription checkout: line items and the period come from Stripe’s API with the connection’s key', async () => {
    const before = api.requests.length;
    const received = await receive(signed(fixture('checkout-session-completed-subscription.json')));
    expect(received).toEqual({
      providerEventId: 'evt_1SZq3LKx8pQ2mN4vR7tY0aBc',
      providerEventType: 'checkout.session.completed',
      occurredAt: seconds(1796033700),
      purchase: {
        change: 'purchase_completed',
        buyer: { providerCustomerId: 'cus_TQ7mZp3kLx9aBc', email: 'ada@buyer.example', name: 'Ada Lovelace' },
        orderId: 'cs_test_a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ0123456789abcdEF',
        subscriptionId: 'sub_1SZq3JKx8pQ2mN4vWxYz1234',
        paymentIds: ['in_1SZq3IKx8pQ2mN4vAbCdEfGh'],
        items: [{ providerItemId: 'price_1SZpzQKx8pQ2mN4vProMonth', quantity: 1 }],
        periodEndsAt: seconds(1798625700),
      },
    });
    expect(api.requests.slice(before).map((request) => request.split('?')[0])).toEqual([
      'GET /v1/checkout/sessions/cs_test_a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ0123456789abcdEF/line_items',
      'GET /v1/subscriptions/sub_1SZq3JKx8pQ2mN4vWxYz1234',
    ]);
  });

  it('a paid one-time checkout: the payment intent, the quantity, no period', async () => {
    const received = await receive(signed(fixture('checkout-session-completed-payment.json')));
    expect(received.purchase).toEqual({
      change: 'purchase_completed',
      buyer: { providerCustomerId: null, email: 'grace@buyer.example', name: 'Grace Hopper' },
      orderId: 'cs_test_b7Yq2Lm9Nx4Kp1Rs8Tv3Wz6Ac0Bd5Ef2Gh7Ij4Kl9Mn1Op6QrStUvWx',
      subscriptionId: null,
      paymentIds: ['pi_3SZr8rKx8pQ2mN4v1QwErTyU'],
      items: [{ providerItemId: 'price_1SZq1BKx8pQ2mN4vDesktopLic', quantity: 3 }],
      periodEndsAt: null,
    });
  });

  it('a checkout still waiting for a delayed payment is not a purchase yet, and asks Stripe nothing', async () => {
    const event = JSON.parse(fixture('checkout-session-completed-payment.json'));
    event.data.object.payment_status = 'unpaid';
    const before = api.requests.length;
    const received = await receive(signed(JSON.stringify(event)));
    expect(received.purchase).toBeNull();
    expect(api.requests.length).toBe(before);
    // …and is one when Stripe says the payment cleared.
    event.type = 'checkout.session.async_payment_succeeded';
    event.data.object.payment_status = 'paid';
    const cleared = await receive(signed(JSON.stringify(event)));
    expect(cleared.purchase?.change).toBe('purchase_completed');
  });

  it('a renewal invoice: the new period’s end from its line, not the invoice’s own period', async () => {
    const received = await receive(signed(fixture('invoice-paid-subscription-cycle.json')), { apiKey: null });
    expect(received.providerEventType).toBe('invoice.paid');
    expect(received.purchase).toEqual({
      change: 'subscription_renewed',
      buyer: { providerCustomerId: 'cus_TQ7mZp3kLx9aBc', email: 'ada@buyer.example', name: 'Ada Lovelace' },
      orderId: null,
      subscriptionId: 'sub_1SZq3JKx8pQ2mN4vWxYz1234',
      paymentIds: ['in_1Sk2vNKx8pQ2mN4vCyCl0001', 'pi_3Sk2vNKx8pQ2mN4v1RenewPay'],
      items: [{ providerItemId: 'price_1SZpzQKx8pQ2mN4vProMonth', quantity: 1 }],
      periodEndsAt: seconds(1801304100),
    });
  });

  it('an upgrade invoice: the new price and quantity, without the credit for the old price', async () => {
    const received = await receive(signed(fixture('invoice-paid-subscription-update.json')), {
      apiKey: null,
    });
    expect(received.purchase).toMatchObject({
      change: 'subscription_changed',
      subscriptionId: 'sub_1SZq3JKx8pQ2mN4vWxYz1234',
      items: [{ providerItemId: 'price_1SZq0AKx8pQ2mN4vTeamMonth', quantity: 5 }],
      periodEndsAt: seconds(1798625700),
    });
  });

  it('an invoice with more lines than its webhook carries is read whole from Stripe’s API', async () => {
    const event = JSON.parse(fixture('invoice-paid-subscription-cycle.json'));
    event.data.object.lines.data = [];
    event.data.object.lines.has_more = true;
    const before = api.requests.length;
    const received = await receive(signed(JSON.stringify(event)));
    expect(received.purchase).toMatchObject({
      items: [{ providerItemId: 'price_1SZpzQKx8pQ2mN4vProMonth', quantity: 1 }],
      periodEndsAt: seconds(1801304100),
    });
    expect(api.requests[before]).toMatch(/^GET \/v1\/invoices\/in_1Sk2vNKx8pQ2mN4vCyCl0001\/lines\?/);
  });

  it('invoices of other kinds (the first one, manual ones) change nothing', async () => {
    const event = JSON.parse(fixture('invoice-paid-subscription-cycle.json'));
    for (const reason of ['subscription_create', 'manual']) {
      event.data.object.billing_reason = reason;
      expect((await receive(signed(JSON.stringify(event)), { apiKey: null })).purchase).toBeNull();
    }
  });

  it('a cancellation at the period end: runs to the items’ current_period_end', async () => {
    const received = await receive(
      signed(fixture('customer-subscription-updated-cancel-at-period-end.json')),
    );
    expect(received.purchase).toEqual({
      change: 'subscription_canceled',
      buyer: { providerCustomerId: 'cus_TQ7mZp3kLx9aBc', email: null, name: null },
      orderId: null,
      subscriptionId: 'sub_1SZq3JKx8pQ2mN4vWxYz1234',
      paymentIds: [],
      items: [],
      periodEndsAt: seconds(1798625700),
    });
  });

  it('a cancellation the Dashboard dates (cancel_at) and an update that cancels nothing', async () => {
    const event = JSON.parse(fixture('customer-subscription-updated-cancel-at-period-end.json'));
    event.data.object.cancel_at_period_end = false;
    event.data.object.cancel_at = 1798000000;
    expect((await receive(signed(JSON.stringify(event)))).purchase?.periodEndsAt).toEqual(
      seconds(1798000000),
    );
    event.data.object.cancel_at = null;
    expect((await receive(signed(JSON.stringify(event)))).purchase).toBeNull();
  });

  it('a subscription ended: canceled at ended_at', async () => {
    const received = await receive(signed(fixture('customer-subscription-deleted.json')));
    expect(received.purchase).toMatchObject({
      change: 'subscription_canceled',
      subscriptionId: 'sub_1SZq3JKx8pQ2mN4vWxYz1234',
      periodEndsAt: seconds(1798625700),
    });
  });

  it('a full refund names the charge, its payment intent and the invoices that intent paid', async () => {
    const before = api.requests.length;
    const received = await receive(signed(fixture('charge-refunded.json')));
    expect(received.purchase).toEqual({
      change: 'payment_reversed',
      buyer: { providerCustomerId: null, email: 'grace@buyer.example', name: 'Grace Hopper' },
      orderId: null,
      subscriptionId: null,
      paymentIds: [
        'pi_3SZr8rKx8pQ2mN4v1QwErTyU',
        'in_1SZq3IKx8pQ2mN4vAbCdEfGh',
        'ch_3SZr8rKx8pQ2mN4v1AbCdEfG',
      ],
      items: [],
      periodEndsAt: null,
    });
    const lookup = decodeURIComponent(api.requests[before] ?? '');
    expect(lookup).toContain('GET /v1/invoice_payments?');
    expect(lookup).toContain('payment[payment_intent]=pi_3SZr8rKx8pQ2mN4v1QwErTyU');
  });

  it('a partial refund leaves the purchase standing', async () => {
    const event = JSON.parse(fixture('charge-refunded.json'));
    event.data.object.refunded = false;
    event.data.object.amount_refunded = 2000;
    expect((await receive(signed(JSON.stringify(event)))).purchase).toBeNull();
  });

  it('a chargeback opened reverses the payment', async () => {
    const received = await receive(signed(fixture('charge-dispute-created.json')));
    expect(received.purchase).toMatchObject({
      change: 'payment_reversed',
      paymentIds: [
        'pi_3SZq3HKx8pQ2mN4v0SubPayI',
        'in_1SZq3IKx8pQ2mN4vAbCdEfGh',
        'ch_3SZq3HKx8pQ2mN4v0SubChrg',
      ],
    });
  });

  it('an event type Keyward does not act on is received, with no purchase', async () => {
    const received = await receive(signed(fixture('customer-created.json')), { apiKey: null });
    expect(received).toEqual({
      providerEventId: 'evt_1SZq3FKx8pQ2mN4vCustCr01',
      providerEventType: 'customer.created',
      occurredAt: seconds(1796033400),
      purchase: null,
    });
  });
});

describe('Stripe signatures', () => {
  const body = fixture('charge-refunded.json');
  const refused = (promise: Promise<unknown>) => expect(promise).rejects.toBeInstanceOf(SignatureRefused);

  it('refuses a missing header', async () => {
    await refused(receive({ rawBody: body, headers: {} }));
    await refused(receive({ rawBody: body, headers: { 'stripe-signature': '' } }));
  });

  it('refuses a forged signature and a header without one', async () => {
    const forged = `t=${nowSeconds},v1=${'ab'.repeat(32)}`;
    await refused(receive({ rawBody: body, headers: { 'stripe-signature': forged } }));
    await refused(receive({ rawBody: body, headers: { 'stripe-signature': `t=${nowSeconds}` } }));
  });

  it('refuses a body signed with another secret', async () => {
    await refused(receive(signed(body, nowSeconds, 'whsec_someone_elses_endpoint_secret')));
  });

  it('refuses a body changed after signing', async () => {
    const request = signed(body);
    await refused(receive({ ...request, rawBody: body.replace('"refunded": true', '"refunded": false') }));
  });

  it('accepts a signature 300 seconds old by Keyward’s clock and refuses one 301 seconds old', async () => {
    const request = signed(body, nowSeconds - 300);
    await expect(receive(request)).resolves.toMatchObject({ providerEventType: 'charge.refunded' });
    await refused(receive(request, { now: new Date(NOW.getTime() + 1000) }));
  });

  it('reads the header whatever its case', async () => {
    const request = signed(body);
    const header = request.headers['stripe-signature'];
    await expect(receive({ rawBody: body, headers: { 'Stripe-Signature': header } })).resolves.toBeDefined();
  });
});

describe('Stripe bodies and API access that cannot be translated', () => {
  it('a signed body that is not JSON is malformed, not a refused signature', async () => {
    await expect(receive(signed('{"id": "evt_1", "type": '))).rejects.toBeInstanceOf(MalformedPaymentEvent);
  });

  it('a signed event without the parts Keyward reads is malformed', async () => {
    await expect(receive(signed('{"id":"evt_1","object":"event"}'))).rejects.toBeInstanceOf(
      MalformedPaymentEvent,
    );
    const event = JSON.parse(fixture('invoice-paid-subscription-cycle.json'));
    event.data.object.lines.data[0].period = null;
    await expect(receive(signed(JSON.stringify(event)))).rejects.toBeInstanceOf(MalformedPaymentEvent);
  });

  it('a checkout without an API key on the connection says what is missing', async () => {
    const failure = await receive(signed(fixture('checkout-session-completed-subscription.json')), {
      apiKey: null,
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ProviderApiUnavailable);
    expect(failure).toMatchObject({ failure: 'API_KEY_MISSING' });
    expect((failure as Error).message).toContain('restricted API key');
  });

  it('Stripe’s API is reached only where the destination rules allow', async () => {
    const publicOnly = createStripeAdapter({ outbound: createOutboundHttp(PUBLIC_ONLY), apiBase: api.url });
    const before = api.requests.length;
    const failure = await publicOnly
      .receive({
        ...signed(fixture('checkout-session-completed-payment.json')),
        secret: SECRET,
        apiKey: API_KEY,
        now: NOW,
      })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ProviderApiUnavailable);
    expect(failure).toMatchObject({ failure: 'API_CALL_FAILED' });
    expect(api.requests.length).toBe(before);
  });

  it('a key Stripe refuses fails the delivery, so that Stripe retries it', async () => {
    const failure = await receive(signed(fixture('checkout-session-completed-payment.json')), {
      apiKey: 'rk_test_revoked',
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ProviderApiUnavailable);
    expect(failure).toMatchObject({ failure: 'API_CALL_FAILED' });
    expect((failure as Error).message).not.toContain('rk_test_revoked');
  });
});
