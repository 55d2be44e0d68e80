import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ReceivedPaymentEvent } from '../core/commerce/purchase-event.js';
import { type PaymentAdapter, SignatureRefused } from '../http/payments/payment-adapter.js';

/**
 * A payment provider for tests, standing in for the real adapters: an HMAC-SHA256 over `<timestamp>.<raw body>`
 * in `x-test-signature: t=…,v1=…`, checked over the bytes as received, with a timestamp tolerance, like Stripe's
 * scheme. Its events are small JSON: `{id, type, created, email, price}`; a `checkout.session.completed` is a
 * purchase of two units of `price`, anything else an event Keyward does not act on.
 */
export const HMAC_TOLERANCE_SECONDS = 300;

export const hmacPaymentAdapter: PaymentAdapter = {
  provider: 'stripe',
  async receive({ rawBody, headers, secret, now }) {
    const header = headers['x-test-signature'];
    if (!header) throw new SignatureRefused('no x-test-signature header');
    const parts = Object.fromEntries(header.split(',').map((p) => p.split('=') as [string, string]));
    const expected = createHmac('sha256', secret).update(`${parts.t}.${rawBody}`).digest();
    const given = Buffer.from(parts.v1 ?? '', 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      throw new SignatureRefused('the signature does not match');
    if (Math.abs(now.getTime() / 1000 - Number(parts.t)) > HMAC_TOLERANCE_SECONDS)
      throw new SignatureRefused('the timestamp is outside the tolerance');
    const body = JSON.parse(rawBody) as {
      id: string;
      type: string;
      created: number;
      email: string;
      price: string;
    };
    return {
      providerEventId: body.id,
      providerEventType: body.type,
      occurredAt: new Date(body.created * 1000),
      purchase:
        body.type === 'checkout.session.completed'
          ? {
              change: 'purchase_completed',
              buyer: { providerCustomerId: null, email: body.email, name: null },
              orderId: `cs_${body.id}`,
              subscriptionId: null,
              paymentIds: [],
              items: [{ providerItemId: body.price, quantity: 2 }],
              periodEndsAt: null,
            }
          : null,
    } satisfies ReceivedPaymentEvent;
  },
};

/** The `x-test-signature` header for a body sent at `at`. */
export function hmacSignature(body: string, at: Date, secret: string): string {
  const t = Math.floor(at.getTime() / 1000);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}
