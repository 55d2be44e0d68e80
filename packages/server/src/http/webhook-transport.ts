import { WebhookTimeout, type WebhookTransport } from '../core/events/webhook-dispatcher.js';
import { OutboundError, type OutboundHttp } from './outbound-http.js';

/**
 * How much of a receiver's answer is read. The delivery log keeps a short excerpt of it (a receiver's
 * "ok" or its error text), and a huge body must not fill memory.
 */
const MAX_BODY_BYTES = 4 * 1024;

/**
 * Webhook deliveries over the server's outbound HTTP: a POST to an allowed address, given up after the
 * timeout, redirects not followed.
 */
export function httpWebhookTransport(outbound: OutboundHttp): WebhookTransport {
  return {
    async post(url, headers, body, timeoutMs) {
      try {
        const answer = await outbound.request(url, {
          method: 'POST',
          headers,
          body,
          timeoutMs,
          maxResponseBytes: MAX_BODY_BYTES,
        });
        return { statusCode: answer.statusCode, body: answer.body };
      } catch (error) {
        if (error instanceof OutboundError && error.failure === 'TIMEOUT')
          throw new WebhookTimeout(timeoutMs);
        if (error instanceof OutboundError && error.failure === 'FORBIDDEN_DESTINATION')
          throw new Error(`refused: ${error.message}`);
        throw error;
      }
    },
  };
}
