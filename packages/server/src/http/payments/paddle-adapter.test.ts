import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MalformedPaymentEvent } from './malformed-payment-event.js';
import { createPaddleAdapter } from './paddle-adapter.js';
import { SignatureRefused } from './payment-adapter.js';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', 'paddle', name), 'utf8');
const SECRET = 'pdl_ntfset_01jd2k5q6r7s8t9v0w1x2y3z4a_Xk9vQ2mN4vR7tY0aBcDeFgHiJkLmNoPq';

/**
 * Signed as Paddle documents it (`Paddle-Signature: ts=…;h1=…`, h1 the hex HMAC-SHA256 of `ts:body` with the
 * destination's secret key): the Paddle SDK verifies signatures but has no helper that makes one.
 */
function signed(rawBody: string, options: { ts?: number; secret?: string } = {}) {
  const ts = options.ts ?? Math.floor(Date.now() / 1000);
  const h1 = createHmac('sha256', options.secret ?? SECRET)
    .update(`${ts}:${rawBody}`)
    .digest('hex');
  return {
    rawBody,
    headers: { 'paddle-signature': `ts=${ts};h1=${h1}` } as Record<string, string | undefined>,
  };
}

const adapter = createPaddleAdapter();
// Paddle's SDK measures its 5 seconds on the host's clock, so `now` here is what the route would pass and no more.
const receive = (request: ReturnType<typeof signed>) =>
  adapter.receive({ ...request, secret: SECRET, apiKey: null, now: new Date() });
const CUSTOMER = 'ctm_01jd2m0a1b2c3d4e5f6g7h8j9k';
const SUBSCRIPTION = 'sub_01jd2m6b7c8d9e0f1g2h3j4k5m';

describe('Paddle events Keyward acts on', () => {
  it('a checkout’s completed transaction: prices and quantities, the customer id, no email, the period', async () => {
    expect(await receive(signed(fixture('transaction-completed-web.json')))).toEqual({
      providerEventId: 'evt_01jd2m7c8d9e0f1g2h3j4k5m6n',
      providerEventType: 'transaction.completed',
      occurredAt: new Date('2026-11-30T10:15:02.113Z'),
      purchase: {
        change: 'purchase_completed',
        buyer: { providerCustomerId: CUSTOMER, email: null, name: null },
        orderId: 'txn_01jd2m2e3f4g5h6j7k8m9n0p1q',
        subscriptionId: SUBSCRIPTION,
        paymentIds: ['txn_01jd2m2e3f4g5h6j7k8m9n0p1q'],
        items: [{ providerItemId: 'pri_01jd2k8vz3m4n5p6q7r8s9t0ab', quantity: 2 }],
        periodEndsAt: new Date('2026-12-30T10:15:00Z'),
      },
    });
  });

  it('a recurring transaction renews to its billing period’s end', async () => {
    const received = await receive(signed(fixture('transaction-completed-recurring.json')));
    expect(received.purchase).toMatchObject({
      change: 'subscription_renewed',
      subscriptionId: SUBSCRIPTION,
      paymentIds: ['txn_01jfbx0z1y2x3w4v5t6s7r8q9p'],
      periodEndsAt: new Date('2027-01-30T10:15:00Z'),
    });
  });

  it('a subscription update’s transaction changes the items', async () => {
    const received = await receive(signed(fixture('transaction-completed-subscription-update.json')));
    expect(received.purchase).toMatchObject({
      change: 'subscription_changed',
      subscriptionId: SUBSCRIPTION,
      items: [{ providerItemId: 'pri_01jd2kb4c5d6e7f8g9h0j1k2lm', quantity: 5 }],
      periodEndsAt: new Date('2026-12-30T10:15:00Z'),
    });
  });

  it('transactions of other origins (a payment-method change, a one-time charge) change nothing', async () => {
    const event = JSON.parse(fixture('transaction-completed-recurring.json'));
    for (const origin of ['subscription_payment_method_change', 'subscription_charge']) {
      event.data.origin = origin;
      expect((await receive(signed(JSON.stringify(event)))).purchase).toBeNull();
    }
  });

  it('a cancellation scheduled for the period end, and the cancellation itself', async () => {
    const scheduled = await receive(signed(fixture('subscription-updated-scheduled-cancel.json')));
    expect(scheduled.purchase).toEqual({
      change: 'subscription_canceled',
      buyer: { providerCustomerId: CUSTOMER, email: null, name: null },
      orderId: null,
      subscriptionId: SUBSCRIPTION,
      paymentIds: [],
      items: [],
      periodEndsAt: new Date('2026-12-30T10:15:00Z'),
    });
    const canceled = await receive(signed(fixture('subscription-canceled.json')));
    expect(canceled.purchase).toMatchObject({
      change: 'subscription_canceled',
      periodEndsAt: new Date('2026-12-30T10:15:00Z'),
    });
  });

  it('a subscription update that schedules no cancellation changes nothing', async () => {
    const event = JSON.parse(fixture('subscription-updated-scheduled-cancel.json'));
    event.data.scheduled_change = {
      action: 'pause',
      effective_at: '2026-12-30T10:15:00.000000Z',
      resume_at: null,
    };
    expect((await receive(signed(JSON.stringify(event)))).purchase).toBeNull();
    event.data.scheduled_change = null;
    expect((await receive(signed(JSON.stringify(event)))).purchase).toBeNull();
  });

  it('an approved full refund and a chargeback reverse the transaction', async () => {
    const refund = await receive(signed(fixture('adjustment-updated-refund-approved.json')));
    expect(refund.purchase).toEqual({
      change: 'payment_reversed',
      buyer: { providerCustomerId: CUSTOMER, email: null, name: null },
      orderId: null,
      subscriptionId: SUBSCRIPTION,
      paymentIds: ['txn_01jd2m2e3f4g5h6j7k8m9n0p1q'],
      items: [],
      periodEndsAt: null,
    });
    const event = JSON.parse(fixture('adjustment-updated-refund-approved.json'));
    event.event_type = 'adjustment.created';
    event.data.action = 'chargeback';
    expect((await receive(signed(JSON.stringify(event)))).purchase?.change).toBe('payment_reversed');
  });

  it('a refund pending approval, a rejected one and a partial one reverse nothing', async () => {
    const event = JSON.parse(fixture('adjustment-updated-refund-approved.json'));
    for (const [status, type] of [
      ['pending_approval', 'full'],
      ['rejected', 'full'],
      ['approved', 'partial'],
    ]) {
      event.data.status = status;
      event.data.type = type;
      expect((await receive(signed(JSON.stringify(event)))).purchase).toBeNull();
    }
  });

  it('a customer created or updated brings the email Paddle leaves out of transactions', async () => {
    const received = await receive(signed(fixture('customer-created.json')));
    expect(received.purchase).toMatchObject({
      change: 'customer_updated',
      buyer: { providerCustomerId: CUSTOMER, email: 'ada@buyer.example', name: 'Ada Lovelace' },
    });
  });

  it('an event type Keyward does not act on is received, with no purchase', async () => {
    expect(await receive(signed(fixture('address-created.json')))).toEqual({
      providerEventId: 'evt_01jd2m0e3f4g5h6j7k8m9n0p1q',
      providerEventType: 'address.created',
      occurredAt: new Date('2026-11-30T10:14:41.133Z'),
      purchase: null,
    });
  });
});

describe('Paddle signatures', () => {
  const body = fixture('adjustment-updated-refund-approved.json');
  const refused = (promise: Promise<unknown>) => expect(promise).rejects.toBeInstanceOf(SignatureRefused);

  it('refuses a missing header and one without ts and h1', async () => {
    await refused(receive({ rawBody: body, headers: {} }));
    await refused(receive({ rawBody: body, headers: { 'paddle-signature': 'garbage' } }));
  });

  it('refuses a forged signature, another secret’s and a changed body', async () => {
    const ts = Math.floor(Date.now() / 1000);
    await refused(
      receive({ rawBody: body, headers: { 'paddle-signature': `ts=${ts};h1=${'0'.repeat(64)}` } }),
    );
    await refused(receive(signed(body, { secret: 'pdl_ntfset_someone_elses_secret' })));
    const request = signed(body);
    await refused(receive({ ...request, rawBody: body.replace('"approved"', '"rejected"') }));
  });

  it('refuses a signature older than 5 seconds (a replay), on the host’s clock', async () => {
    const now = Math.floor(Date.now() / 1000);
    await refused(receive(signed(body, { ts: now - 7 })));
    await expect(receive(signed(body, { ts: now - 2 }))).resolves.toMatchObject({
      providerEventType: 'adjustment.updated',
    });
  });

  it('refuses every signature when the connection has no secret', async () => {
    await expect(
      adapter.receive({ ...signed(body, { secret: '' }), secret: '', apiKey: null, now: new Date() }),
    ).rejects.toBeInstanceOf(SignatureRefused);
  });
});

describe('Paddle bodies that cannot be translated', () => {
  it('a signed body that is not JSON is malformed', async () => {
    await expect(receive(signed('{"event_id": '))).rejects.toBeInstanceOf(MalformedPaymentEvent);
  });

  it('a signed event without the parts Keyward reads is malformed', async () => {
    const event = JSON.parse(fixture('transaction-completed-web.json'));
    delete event.data.items;
    await expect(receive(signed(JSON.stringify(event)))).rejects.toBeInstanceOf(MalformedPaymentEvent);
    event.data.items = [{ price: { id: 42 }, quantity: 1 }];
    await expect(receive(signed(JSON.stringify(event)))).rejects.toBeInstanceOf(MalformedPaymentEvent);
    await expect(
      receive(signed('{"event_id":"evt_1","event_type":"customer.created"}')),
    ).rejects.toBeInstanceOf(MalformedPaymentEvent);
  });
});
