import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLemonSqueezyAdapter } from './lemon-squeezy-adapter.js';
import { MalformedPaymentEvent } from './malformed-payment-event.js';
import { SignatureRefused } from './payment-adapter.js';

const fixture = (name: string) =>
  readFileSync(join(import.meta.dirname, 'fixtures', 'lemon-squeezy', name), 'utf8');
const SECRET = 'ls-signing-secret-7d2f9a41c3';

/** Signed as Lemon Squeezy documents it: `X-Signature` is the hex HMAC-SHA256 of the raw body. */
const signed = (rawBody: string, secret = SECRET) => ({
  rawBody,
  headers: { 'x-signature': createHmac('sha256', secret).update(rawBody).digest('hex') } as Record<
    string,
    string | undefined
  >,
});

const adapter = createLemonSqueezyAdapter();
const receive = (request: ReturnType<typeof signed>) =>
  adapter.receive({ ...request, secret: SECRET, apiKey: null, now: new Date('2026-12-31T00:00:00Z') });
const BUYER = { providerCustomerId: '3841177', email: 'ada@buyer.example', name: 'Ada Lovelace' };

describe('Lemon Squeezy events Keyward acts on', () => {
  it('a paid order: its variant and quantity, the buyer, the order as order and payment', async () => {
    expect(await receive(signed(fixture('order-created.json')))).toEqual({
      providerEventId: 'order_created:orders:4719320:2026-11-30T10:15:03.000Z',
      providerEventType: 'order_created',
      occurredAt: new Date('2026-11-30T10:15:03Z'),
      purchase: {
        change: 'purchase_completed',
        buyer: BUYER,
        orderId: '4719320',
        subscriptionId: null,
        paymentIds: ['4719320'],
        items: [{ providerItemId: '612044', quantity: 2 }],
        periodEndsAt: null,
      },
    });
  });

  it('an order not paid (pending, failed) is no purchase', async () => {
    const event = JSON.parse(fixture('order-created.json'));
    event.data.attributes.status = 'pending';
    expect((await receive(signed(JSON.stringify(event)))).purchase).toBeNull();
  });

  it('a subscription created is the same purchase as its order, with the subscription and its period', async () => {
    const received = await receive(signed(fixture('subscription-created.json')));
    expect(received.providerEventId).toBe(
      'subscription_created:subscriptions:1020455:2026-11-30T10:15:04.000Z',
    );
    expect(received.purchase).toEqual({
      change: 'purchase_completed',
      buyer: BUYER,
      orderId: '4719320',
      subscriptionId: '1020455',
      paymentIds: ['4719320'],
      items: [{ providerItemId: '612044', quantity: 2 }],
      periodEndsAt: new Date('2026-12-30T10:15:00Z'),
    });
  });

  it('a renewal payment names the subscription and its invoice; the invoice carries no period', async () => {
    const received = await receive(signed(fixture('subscription-payment-success.json')));
    expect(received.purchase).toEqual({
      change: 'subscription_renewed',
      buyer: BUYER,
      orderId: null,
      subscriptionId: '1020455',
      paymentIds: ['3310712'],
      items: [],
      periodEndsAt: null,
    });
  });

  it('the first payment and a change’s payment are not renewals', async () => {
    const event = JSON.parse(fixture('subscription-payment-success.json'));
    for (const reason of ['initial', 'updated']) {
      event.data.attributes.billing_reason = reason;
      expect((await receive(signed(JSON.stringify(event)))).purchase).toBeNull();
    }
  });

  it('a running subscription updated: its current variant, quantity and paid period', async () => {
    const received = await receive(signed(fixture('subscription-updated.json')));
    expect(received.purchase).toEqual({
      change: 'subscription_changed',
      buyer: BUYER,
      orderId: '4719320',
      subscriptionId: '1020455',
      paymentIds: [],
      items: [{ providerItemId: '612051', quantity: 5 }],
      periodEndsAt: new Date('2026-12-30T10:15:00Z'),
    });
  });

  it('an update of a cancelled or expired subscription is left to its own events', async () => {
    const event = JSON.parse(fixture('subscription-updated.json'));
    for (const status of ['cancelled', 'expired']) {
      event.data.attributes.status = status;
      event.data.attributes.ends_at = '2026-12-30T10:15:00.000000Z';
      expect((await receive(signed(JSON.stringify(event)))).purchase).toBeNull();
    }
  });

  it('a cancellation runs to ends_at', async () => {
    const received = await receive(signed(fixture('subscription-cancelled.json')));
    expect(received.purchase).toEqual({
      change: 'subscription_canceled',
      buyer: BUYER,
      orderId: null,
      subscriptionId: '1020455',
      paymentIds: [],
      items: [],
      periodEndsAt: new Date('2026-12-30T10:15:00Z'),
    });
  });

  it('a refunded order and a refunded subscription payment reverse them', async () => {
    const order = await receive(signed(fixture('order-refunded.json')));
    expect(order.purchase).toMatchObject({
      change: 'payment_reversed',
      orderId: '4719320',
      paymentIds: ['4719320'],
    });
    const invoice = await receive(signed(fixture('subscription-payment-refunded.json')));
    expect(invoice.purchase).toMatchObject({
      change: 'payment_reversed',
      subscriptionId: '1020455',
      paymentIds: ['3310712'],
    });
  });

  it('a partial refund (the order stays paid) reverses nothing', async () => {
    const event = JSON.parse(fixture('order-refunded.json'));
    event.data.attributes.status = 'paid';
    event.data.attributes.refunded = false;
    expect((await receive(signed(JSON.stringify(event)))).purchase).toBeNull();
  });

  it('an event type Keyward does not act on is received, with no purchase', async () => {
    expect(await receive(signed(fixture('license-key-created.json')))).toEqual({
      providerEventId: 'license_key_created:license-keys:2947110:2026-11-30T10:15:02.000Z',
      providerEventType: 'license_key_created',
      occurredAt: new Date('2026-11-30T10:15:02Z'),
      purchase: null,
    });
  });

  it('the derived event id is the same for a resend with newly signed portal URLs, and differs per change', async () => {
    const event = JSON.parse(fixture('subscription-updated.json'));
    const first = await receive(signed(JSON.stringify(event)));
    event.data.attributes.urls.customer_portal =
      'https://vendor.lemonsqueezy.com/billing?expires=1796999999&signature=ff';
    const resent = await receive(signed(JSON.stringify(event)));
    expect(resent.providerEventId).toBe(first.providerEventId);
    event.data.attributes.updated_at = '2026-12-30T10:15:02.000000Z';
    const next = await receive(signed(JSON.stringify(event)));
    expect(next.providerEventId).not.toBe(first.providerEventId);
  });
});

describe('Lemon Squeezy signatures', () => {
  const body = fixture('order-refunded.json');
  const refused = (promise: Promise<unknown>) => expect(promise).rejects.toBeInstanceOf(SignatureRefused);

  it('refuses a missing header', async () => {
    await refused(receive({ rawBody: body, headers: {} }));
  });

  it('refuses a forged signature, one that is not hex of the right length, and another secret’s', async () => {
    await refused(receive({ rawBody: body, headers: { 'x-signature': 'f'.repeat(64) } }));
    await refused(receive({ rawBody: body, headers: { 'x-signature': 'not-hex' } }));
    const short = signed(body).headers['x-signature']?.slice(0, 62);
    await refused(receive({ rawBody: body, headers: { 'x-signature': short } }));
    await refused(receive(signed(body, 'someone-elses-secret')));
  });

  it('refuses a changed body', async () => {
    const request = signed(body);
    await refused(receive({ ...request, rawBody: body.replace('"refunded"', '"paid"') }));
  });

  it('accepts the signature in upper case hex and the header in any case', async () => {
    const signature = signed(body).headers['x-signature']?.toUpperCase();
    await expect(receive({ rawBody: body, headers: { 'X-Signature': signature } })).resolves.toMatchObject({
      providerEventType: 'order_refunded',
    });
  });

  it('refuses every signature when the connection has no secret', async () => {
    await expect(
      adapter.receive({ ...signed(body, ''), secret: '', apiKey: null, now: new Date() }),
    ).rejects.toBeInstanceOf(SignatureRefused);
  });
});

describe('Lemon Squeezy bodies that cannot be translated', () => {
  it('a signed body that is not JSON is malformed', async () => {
    await expect(receive(signed('{"meta": '))).rejects.toBeInstanceOf(MalformedPaymentEvent);
  });

  it('a signed event without the parts Keyward reads is malformed', async () => {
    const event = JSON.parse(fixture('order-created.json'));
    delete event.data.attributes.first_order_item;
    await expect(receive(signed(JSON.stringify(event)))).rejects.toBeInstanceOf(MalformedPaymentEvent);
    await expect(receive(signed('{"meta":{},"data":{}}'))).rejects.toBeInstanceOf(MalformedPaymentEvent);
    const cancelled = JSON.parse(fixture('subscription-cancelled.json'));
    cancelled.data.attributes.ends_at = 'soon';
    await expect(receive(signed(JSON.stringify(cancelled)))).rejects.toBeInstanceOf(MalformedPaymentEvent);
  });
});
