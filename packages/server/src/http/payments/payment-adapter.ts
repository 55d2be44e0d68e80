import type { PaymentProvider, ReceivedPaymentEvent } from '../../core/commerce/purchase-event.js';

/**
 * One payment provider's webhooks: checks a delivery's signature with the provider's own SDK and translates the
 * event into Keyward's words. The receiving route (payment-webhooks.ts) holds one adapter per provider.
 */
export interface PaymentAdapter {
  provider: PaymentProvider;
  /** Verifies with the provider's SDK and translates; throws SignatureRefused when the signature is missing,
   * forged or outside the provider's timestamp tolerance. */
  receive(input: {
    rawBody: string;
    headers: Record<string, string | undefined>;
    secret: string;
    apiKey: string | null;
    now: Date;
  }): Promise<ReceivedPaymentEvent>;
}

export class SignatureRefused extends Error {}
