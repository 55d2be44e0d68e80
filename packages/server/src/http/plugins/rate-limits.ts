import { createHash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';

export interface RateLimitOptions {
  perTokenPerMinute: number;
  perIpPerMinute: number;
  /** Shares the counters between server processes; in memory when absent. */
  redis: Redis | null;
}

/** The credentials every surface accepts, wherever its vendor puts them. */
function credentialOf(request: FastifyRequest): string | null {
  const header = request.headers.authorization ?? request.headers['x-api-key'];
  if (typeof header === 'string' && header !== '') return header;
  const query = request.query as Record<string, unknown> | undefined;
  const fromQuery = query?.token ?? query?.api_key;
  return typeof fromQuery === 'string' && fromQuery !== '' ? fromQuery : null;
}

/**
 * Callers presenting a credential are counted per credential (hashed, so no secret sits in memory or Redis),
 * anonymous callers per IP address. 0 turns a limit off.
 */
export async function registerRateLimits(app: FastifyInstance, options: RateLimitOptions): Promise<void> {
  if (options.perTokenPerMinute === 0 && options.perIpPerMinute === 0) return;
  const keyOf = (request: FastifyRequest) => {
    const credential = credentialOf(request);
    if (credential === null) return `ip:${request.ip}`;
    return `cred:${createHash('sha256').update(credential).digest('base64url').slice(0, 22)}`;
  };
  await app.register(rateLimit, {
    global: true,
    timeWindow: 60_000,
    keyGenerator: keyOf,
    max: (_request, key) => {
      const max = key.startsWith('ip:') ? options.perIpPerMinute : options.perTokenPerMinute;
      return max === 0 ? Number.MAX_SAFE_INTEGER : max;
    },
    allowList: (request) => request.url === '/healthz' || request.url === '/readyz',
    ...(options.redis ? { redis: options.redis, nameSpace: 'keyward-rate-', skipOnError: true } : {}),
    // Thrown, so the shared error handler renders it in the caller's surface's own format.
    errorResponseBuilder: (_request, context) =>
      Object.assign(
        new Error(`rate limit of ${context.max} requests a minute reached; retry in ${context.after}`),
        {
          statusCode: 429,
        },
      ),
  });
}
