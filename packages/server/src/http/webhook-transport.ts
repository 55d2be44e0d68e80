import type { WebhookTransport } from '../core/services/webhook-dispatcher.js';

/** How much of a receiver's answer is read: the log keeps an excerpt, and a huge body must not fill memory. */
const MAX_BODY_BYTES = 64 * 1024;

async function readCapped(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < MAX_BODY_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString('utf8');
}

/** Webhook deliveries over HTTP: a POST that gives up after the timeout, redirects not followed. */
export const fetchWebhookTransport: WebhookTransport = {
  async post(url, headers, body, timeoutMs) {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const response = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal });
      return { statusCode: response.status, body: await readCapped(response) };
    } catch (error) {
      if (signal.aborted) throw new Error(`no answer within ${timeoutMs} ms`);
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(cause?.code ?? cause?.message ?? (error as Error).message);
    }
  },
};
