/**
 * A verified event cannot be translated without asking the provider's API (a Stripe Checkout Session's line
 * items), and that failed: the connection has no API key yet, or the call failed (network, revoked key,
 * missing permission). The route answers 503: the request was fine, Keyward could not finish it now, and the
 * provider retries the delivery (Stripe for up to three days), so events sent before the vendor adds the key
 * are applied once it is there. A 400 would say the provider sent something wrong, which it did not.
 */
export type ProviderApiFailure = 'API_KEY_MISSING' | 'API_CALL_FAILED';

export class ProviderApiUnavailable extends Error {
  override readonly name = 'ProviderApiUnavailable';
  constructor(
    readonly failure: ProviderApiFailure,
    message: string,
  ) {
    super(message);
  }
}
