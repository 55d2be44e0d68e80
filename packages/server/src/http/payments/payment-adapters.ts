import type { PaymentProvider } from '../../core/commerce/purchase-event.js';
import { createLemonSqueezyAdapter } from './lemon-squeezy-adapter.js';
import { createPaddleAdapter } from './paddle-adapter.js';
import type { PaymentAdapter } from './payment-adapter.js';
import { createStripeAdapter, type StripeAdapterOptions } from './stripe-adapter.js';

/** What the adapters need from the composition: the outbound module (Stripe's API lookups go through it). */
export type PaymentAdaptersOptions = StripeAdapterOptions;

/** One adapter per provider Keyward accepts webhooks from; the compiler holds that none is missing. */
export function createPaymentAdapters(
  options: PaymentAdaptersOptions,
): Record<PaymentProvider, PaymentAdapter> {
  return {
    stripe: createStripeAdapter(options),
    paddle: createPaddleAdapter(),
    lemonsqueezy: createLemonSqueezyAdapter(),
  };
}
