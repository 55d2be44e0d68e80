import type { PaymentProvider, ReceivedPaymentEvent } from '../../core/commerce/purchase-event.js';
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
