/**
 * A webhook whose signature is valid but whose body is not the event its provider documents (not JSON, or a
 * field Keyward reads is missing or of the wrong type). The signature proves the provider sent it, so this is
 * not an attack; the route answers 400 and the provider's dashboard shows the failed delivery.
 */
export class MalformedPaymentEvent extends Error {
  override readonly name = 'MalformedPaymentEvent';
}
