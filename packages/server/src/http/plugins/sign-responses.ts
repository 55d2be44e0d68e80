import type { FastifyInstance } from 'fastify';
import type { Keyward } from '../../core/keyward.js';

export const SIGNATURE_HEADER = 'keyward-signature';

/**
 * Routes marked `signed` carry an Ed25519 signature over the exact bytes of their response body, so an app
 * that embeds the public key from /v1/signing-keys can tell a genuine answer from a forged one. The body
 * echoes the caller's nonce and the server time, which is what defeats replays. A body with `"sign": false`
 * opts out (an app that does not verify, or a load test of the unsigned path).
 */
export function registerResponseSigning(app: FastifyInstance, keyward: Keyward): void {
  app.addHook('onSend', async (request, reply, payload) => {
    if (!request.routeOptions.config?.signed || reply.statusCode !== 200 || typeof payload !== 'string') {
      return payload;
    }
    // A caller that does not verify may spare the server the signature; unsigned is never the default.
    if ((request.body as { sign?: unknown } | undefined)?.sign === false) return payload;
    // In the thread pool: the event loop goes on serving other requests meanwhile.
    reply.header(
      SIGNATURE_HEADER,
      `ed25519=${await keyward.signingKeys.getSigner().signEd25519Async(payload)}`,
    );
    return payload;
  });
}
