import type { IncomingHttpHeaders } from 'node:http';
import { Type } from 'typebox';
import type { PaymentProvider } from '../../core/commerce/purchase-event.js';
import { DomainError } from '../../core/domain-error.js';
import type { Keyward } from '../../core/keyward.js';
import type { App } from '../fastify-context.js';
import { checkJsonShape, MAX_NATIVE_JSON_VALUES } from '../plugins/request-limits.js';
import { MalformedPaymentEvent } from './malformed-payment-event.js';
import { type PaymentAdapter, SignatureRefused } from './payment-adapter.js';
import { ProviderApiUnavailable } from './provider-api-unavailable.js';

/** Where providers send a connection's events: `${PAYMENT_WEBHOOK_PREFIX}/<connection id>`. */
export const PAYMENT_WEBHOOK_PREFIX = '/payments/webhooks';

/** Providers' events are a few kilobytes; a checkout with many line items stays far below this. */
export const MAX_PAYMENT_WEBHOOK_BYTES = 1024 * 1024;

export interface PaymentWebhookOptions {
  /** The adapter of each provider this server receives; a connection of a provider without one answers 503. */
  adapters: Partial<Record<PaymentProvider, PaymentAdapter>>;
}

/** One header value per name, as the providers' SDKs read them. */
function flatHeaders(headers: IncomingHttpHeaders): Record<string, string | undefined> {
  const flat: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers))
    flat[name] = Array.isArray(value) ? value.join(', ') : value;
  return flat;
}

function isJson(text: string): boolean {
  try {
    checkJsonShape(text, MAX_NATIVE_JSON_VALUES);
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * What an adapter's failure answers. Only a refused signature or a body that is not the provider's event says the
 * sender is wrong (400); a provider API Keyward could not ask (no API key yet, or the call failed) and anything
 * unexpected are Keyward's to fix, so they answer 503 and the provider delivers the event again later.
 */
function receiveRefusal(error: unknown, rawBody: string, warn: (message: string) => void): DomainError {
  if (error instanceof SignatureRefused)
    return new DomainError('INVALID_INPUT', `signature refused: ${error.message}`, { field: 'signature' });
  if (error instanceof ProviderApiUnavailable) {
    warn('payment webhook: the provider API could not be asked');
    return new DomainError('UNAVAILABLE', error.message);
  }
  if (!isJson(rawBody)) return new DomainError('INVALID_INPUT', 'the body is not JSON', { field: 'body' });
  if (error instanceof MalformedPaymentEvent) {
    warn('payment webhook: the event could not be read');
    return new DomainError('INVALID_INPUT', `the event could not be read: ${error.message}`, {
      field: 'body',
    });
  }
  // Genuine (the signature held) but an adapter failed in a way it does not name: the log says why, the
  // answer does not (this route is public), and the provider's retry gets another chance after a fix.
  warn('payment webhook: the adapter failed');
  return new DomainError('UNAVAILABLE', 'the event could not be read now; the server log says why');
}

/**
 * The public endpoint payment providers send webhooks to, one URL per connection. No token: the provider's
 * signature over the exact bytes sent authenticates a delivery, so this plugin keeps the body as text, untouched.
 * An event is stored before it is acknowledged; any answer but 2xx makes the provider deliver it again, which is
 * what a failure to apply it (503) asks for. Refusals: 404 for an unknown connection, 400 for a refused signature
 * or a body that is not the provider's event, 503 while the connection has no webhook secret yet or the
 * provider's API cannot be asked (nothing is stored for any of them).
 */
export async function paymentWebhooks(
  app: App,
  keyward: Keyward,
  options: PaymentWebhookOptions,
): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    '*',
    { parseAs: 'string', bodyLimit: MAX_PAYMENT_WEBHOOK_BYTES },
    (_request, body, done) => done(null, body),
  );

  app.post(
    '/:connectionId',
    {
      config: { auth: 'public' },
      schema: {
        hide: true,
        params: Type.Object({ connectionId: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) }),
      },
    },
    async (request, reply) => {
      const connectionId = request.params.connectionId;
      const rawBody = typeof request.body === 'string' ? request.body : '';
      const secrets = await keyward.paymentConnections.secretsForVerifying(connectionId);
      if (!secrets) throw new DomainError('NOT_FOUND', `payment connection ${connectionId} does not exist`);
      const adapter = options.adapters[secrets.provider];
      if (!adapter)
        throw new DomainError('UNAVAILABLE', `this server cannot receive ${secrets.provider} events yet`);
      // Connected before the provider showed the secret: nothing can be verified, so nothing is stored, and the
      // 503 makes the provider deliver again until the vendor has pasted it.
      if (secrets.webhookSecret === null)
        throw new DomainError(
          'UNAVAILABLE',
          `payment connection ${connectionId} has no webhook secret yet: paste the signing secret the provider ` +
            'shows for this endpoint',
        );
      let received: Awaited<ReturnType<PaymentAdapter['receive']>>;
      try {
        received = await adapter.receive({
          rawBody,
          headers: flatHeaders(request.headers),
          secret: secrets.webhookSecret,
          apiKey: secrets.apiKey,
          now: keyward.clock.now(),
        });
      } catch (error) {
        throw receiveRefusal(error, rawBody, (message) =>
          request.log.warn({ err: error, connectionId }, message),
        );
      }
      if (!isJson(rawBody)) throw new DomainError('INVALID_INPUT', 'the body is not JSON', { field: 'body' });
      const result = await keyward.purchases.receive(connectionId, received, rawBody);
      return reply
        .status(200)
        .send(result.duplicate ? { received: true, duplicate: true } : { received: true });
    },
  );
}
