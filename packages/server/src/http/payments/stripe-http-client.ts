import Stripe from 'stripe';
import type { OutboundHttp } from '../outbound-http.js';

/** Stripe's largest answer Keyward reads is a page of 100 line items: well under this. */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/**
 * The Stripe SDK's HTTP client, sending through the server's one outbound module, so Stripe's API is reached
 * under the same destination rules as webhooks and imports (and a test's loopback Stripe only where the
 * rules allow private addresses). The SDK builds the request (authentication, API version, retries) and
 * reads the answer; this only carries it.
 */
export function stripeHttpClient(outbound: OutboundHttp, timeoutMs: number) {
  return Stripe.createFetchHttpClient(async (input, init) => {
    const method = init?.method ?? 'GET';
    if (method !== 'GET' && method !== 'POST')
      throw new Error(`Keyward makes no ${method} request to Stripe`);
    const answer = await outbound.request(String(input), {
      method,
      headers: Object.fromEntries(new Headers(init?.headers)),
      ...(typeof init?.body === 'string' ? { body: init.body } : {}),
      timeoutMs,
      maxResponseBytes: MAX_ANSWER_BYTES,
      ...(init?.signal ? { signal: init.signal } : {}),
    });
    if (answer.isTruncated) throw new Error(`Stripe's answer is larger than ${MAX_ANSWER_BYTES} bytes`);
    return new Response(answer.body, {
      status: answer.statusCode,
      headers: answer.contentType === null ? {} : { 'content-type': answer.contentType },
    });
  });
}
