import type { IncomingHttpHeaders } from 'node:http';
import { Type } from 'typebox';
import type { PaymentProvider } from '../../core/commerce/purchase-event.js';
import { DomainError } from '../../core/domain-error.js';
import type { Keyward } from '../../core/keyward.js';
import type { App } from '../fastify-context.js';
import { checkJsonShape, MAX_NATIVE_JSON_VALUES } from '../plugins/request-limits.js';
import { type PaymentAdapter, SignatureRefused } from './payment-adapter.js';

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
 * The public endpoint payment providers send webhooks to, one URL per connection. No token: the provider's
 * signature over the exact bytes sent authenticates a delivery, so this plugin keeps the body as text, untouched.
 * An event is stored before it is acknowledged; any answer but 2xx makes the provider deliver it again, which is
 * what a failure to apply it (503) asks for. Refusals: 404 for an unknown connection, 400 for a refused signature
 * or a body that is not the provider's JSON (nothing is stored for either).
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
        if (error instanceof SignatureRefused)
          throw new DomainError('INVALID_INPUT', `signature refused: ${error.message}`, {
            field: 'signature',
          });
        if (!isJson(rawBody))
          throw new DomainError('INVALID_INPUT', 'the body is not JSON', { field: 'body' });
        // Genuine but unreadable: the provider keeps it and retries, and the log says why.
        request.log.warn({ err: error, connectionId }, 'payment webhook: the event could not be read');
        throw new DomainError('INVALID_INPUT', `the event could not be read: ${(error as Error).message}`, {
          field: 'body',
        });
      }
      if (!isJson(rawBody)) throw new DomainError('INVALID_INPUT', 'the body is not JSON', { field: 'body' });
      const result = await keyward.purchases.receive(connectionId, received, rawBody);
      return reply
        .status(200)
        .send(result.duplicate ? { received: true, duplicate: true } : { received: true });
    },
  );
}
