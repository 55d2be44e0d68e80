import type { PaymentProvider } from '../../core/commerce/purchase-event.js';
import { createLemonSqueezyAdapter } from './lemon-squeezy-adapter.js';
import type { PaymentAdapter } from './payment-adapter.js';
import type { StripeAdapterOptions } from './stripe-adapter.js';

/** What the adapters need from the composition: the outbound module (Stripe's API lookups go through it). */
export type PaymentAdaptersOptions = StripeAdapterOptions;

/**
 * An adapter whose module loads on its first delivery. Stripe's and Paddle's SDKs take about 15 and 10 MB of
 * memory once loaded, and most servers never receive from one or both of them.
 */
function loadedOnFirstUse(provider: PaymentProvider, load: () => Promise<PaymentAdapter>): PaymentAdapter {
  let loading: Promise<PaymentAdapter> | null = null;
  return {
    provider,
    async receive(input) {
      loading ??= load().catch((error: unknown) => {
        loading = null;
        throw error;
      });
      return (await loading).receive(input);
    },
  };
}

/** One adapter per provider Keyward accepts webhooks from; the compiler holds that none is missing. */
export function createPaymentAdapters(
  options: PaymentAdaptersOptions,
): Record<PaymentProvider, PaymentAdapter> {
  return {
    stripe: loadedOnFirstUse('stripe', async () =>
      (await import('./stripe-adapter.js')).createStripeAdapter(options),
    ),
    paddle: loadedOnFirstUse('paddle', async () =>
      (await import('./paddle-adapter.js')).createPaddleAdapter(),
    ),
    // Lemon Squeezy's check is node:crypto's HMAC: nothing to load.
    lemonsqueezy: createLemonSqueezyAdapter(),
  };
}
