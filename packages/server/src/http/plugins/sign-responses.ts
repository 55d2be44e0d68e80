import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Keyward } from '../../core/keyward.js';

export const SIGNATURE_HEADER = 'keyward-signature';

/** What every signed body must carry so the signature binds it to one request at one time. */
export const BINDING_FIELDS = ['nonce', 'ts', 'request'] as const;

/**
 * A route marked `signed` must declare, in its 200 schema, the fields that bind its answer to the request:
 * the caller's nonce, the server time and the request echoed (key or id, fingerprint, …). Checked when the
 * route is registered, so a signed route that forgets them cannot even start (and costs nothing per request).
 */
export function assertSignedRouteBinds(route: { url: string; schema?: unknown }): void {
  const ok = (route.schema as { response?: Record<string, unknown> } | undefined)?.response?.[200] as
    | { properties?: Record<string, unknown>; required?: string[] }
    | undefined;
  const missing = BINDING_FIELDS.filter((f) => !ok?.properties?.[f] || !ok.required?.includes(f));
  if (missing.length > 0) {
    throw new Error(
      `the signed route ${route.url} must answer with ${missing.join(', ')} (see sign-responses.ts)`,
    );
  }
}

/**
 * Routes marked `signed` carry an Ed25519 signature over the exact bytes of their response body, so an app
 * that embeds the public key from /v1/signing-keys can tell a genuine answer from a forged one. The body
 * echoes the caller's nonce and request and carries the server time, so an app can tell that the answer is
 * about its own key and machine, and fresh. A body with `"sign": false` opts out (an app that does not
 * verify, or a load test of the unsigned path).
 */
export function registerResponseSigning(app: FastifyInstance, keyward: Keyward): void {
  const sign = async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    if (reply.statusCode !== 200 || typeof payload !== 'string') return payload;
    // A caller that does not verify may spare the server the signature; unsigned is never the default.
    if ((request.body as { sign?: unknown } | undefined)?.sign === false) return payload;
    // In the thread pool: the event loop goes on serving other requests meanwhile.
    reply.header(
      SIGNATURE_HEADER,
      `ed25519=${await keyward.signingKeys.getSigner().signEd25519Async(payload)}`,
    );
    return payload;
  };
  // Only the routes marked `signed` carry the hook: the others do not pay for it.
  app.addHook('onRoute', (route) => {
    if (!(route.config as { signed?: boolean } | undefined)?.signed) return;
    assertSignedRouteBinds(route);
    route.onSend = [...[route.onSend ?? []].flat(), sign];
  });
}
