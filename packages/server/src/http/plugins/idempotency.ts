import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../../core/domain-error.js';
import type { Keyward } from '../../core/keyward.js';

const HEADER = 'idempotency-key';
/** Replays are kept this long; a retry after that creates anew. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** A claim without an answer this old belongs to a request that died; a retry may take it over. */
const ABANDONED_AFTER_MS = 60 * 1000;

interface Claim {
  scope: string;
  key: string;
}
const claims = new WeakMap<FastifyRequest, Claim>();

function scopeOf(request: FastifyRequest): string {
  const p = request.principal;
  const who =
    p === null ? 'anonymous' : p.kind === 'token' ? `token:${p.token.id}` : `license:${p.license.id}`;
  return `${who} ${request.method} ${request.routeOptions.url ?? ''}`;
}

function hashRequest(request: FastifyRequest): string {
  return createHash('sha256')
    .update(JSON.stringify({ params: request.params ?? null, body: request.body ?? null }))
    .digest('hex');
}

/**
 * `Idempotency-Key` on creating writes (as Stripe and Keygen do): the first successful answer is kept per
 * credential and route, a retry with the same key and the same request gets it back, the same key with a
 * different request is refused. Failed answers are not kept, so a retry after a failure runs again.
 */
export function registerIdempotency(app: FastifyInstance, keyward: Keyward): void {
  app.addHook('onRoute', (route) => {
    if (!route.config?.idempotent) return;
    const before = async (request: FastifyRequest, reply: FastifyReply) => {
      const header = request.headers[HEADER];
      if (header === undefined) return;
      const key = Array.isArray(header) ? header[0] : header;
      if (!key || key.length > 255 || !/^[\x21-\x7E]+$/.test(key)) {
        throw new DomainError('INVALID_INPUT', 'Idempotency-Key must be 1 to 255 visible ASCII characters', {
          field: 'Idempotency-Key',
        });
      }
      const scope = scopeOf(request);
      const requestHash = hashRequest(request);
      const now = keyward.clock.now();
      let existing = await keyward.store.idempotency.claim(scope, key, requestHash, now);
      const age = existing ? now.getTime() - existing.createdAt.getTime() : 0;
      if (
        existing &&
        (age > IDEMPOTENCY_TTL_MS || (existing.statusCode === null && age > ABANDONED_AFTER_MS))
      ) {
        await keyward.store.idempotency.release(scope, key);
        existing = await keyward.store.idempotency.claim(scope, key, requestHash, now);
      }
      if (existing === null) {
        claims.set(request, { scope, key });
        return;
      }
      if (existing.requestHash !== requestHash) {
        throw new DomainError(
          'IDEMPOTENCY_CONFLICT',
          'this Idempotency-Key was used for a different request',
        );
      }
      if (existing.statusCode === null || existing.responseBody === null) {
        throw new DomainError('IDEMPOTENCY_CONFLICT', 'a request with this Idempotency-Key is still running');
      }
      return reply
        .status(existing.statusCode)
        .header('idempotent-replayed', 'true')
        .type('application/json; charset=utf-8')
        .send(existing.responseBody);
    };
    const existing = route.preHandler;
    route.preHandler = existing ? [...(Array.isArray(existing) ? existing : [existing]), before] : before;
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const claim = claims.get(request);
    if (!claim) return payload;
    claims.delete(request);
    if (reply.statusCode >= 300 || typeof payload !== 'string') {
      await keyward.store.idempotency.release(claim.scope, claim.key);
    } else {
      await keyward.store.idempotency.complete(claim.scope, claim.key, reply.statusCode, payload);
    }
    return payload;
  });
}
