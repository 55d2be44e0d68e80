import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { ApiTokenRecord } from '../../core/access/token-ports.js';
import type { Clock } from '../../core/clock.js';
import { DomainError } from '../../core/domain-error.js';
import type { Keyward } from '../../core/keyward.js';
import { SESSION_COOKIE } from '../dashboard-session.js';

export interface RateLimitOptions {
  perTokenPerMinute: number;
  perIpPerMinute: number;
  /** Shares the counters between server processes; in memory when absent. */
  redis: Redis | null;
  /** Prefix of the counters' Redis keys (tests give each run its own). */
  namespace?: string;
}

/**
 * Whose budget a request spends. Only a credential that authentication has verified earns a bucket of its
 * own, named by what the database says (the token's id and prefix, the license's id, the user's id), never by
 * the text the caller sent; everything else — no credential, a wrong one, one refused for its address — is
 * counted against the client address.
 */
export type RateLimitBucket =
  | { kind: 'token'; token: Pick<ApiTokenRecord, 'id' | 'prefix'> }
  | { kind: 'license'; licenseId: number }
  | { kind: 'user'; userId: number }
  | { kind: 'address' };

export const ADDRESS: RateLimitBucket = { kind: 'address' };

interface RequestCount {
  isCounted: boolean;
  limit?: number;
  remaining?: number;
  resetAtMs?: number;
  isRefused?: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    rateLimiter: RateLimiter;
  }
  interface FastifyRequest {
    rateLimitCount: RequestCount | null;
  }
}

const WINDOW_MS = 60_000;
/** Buckets one process keeps in memory; beyond it the oldest are dropped (an attacker's many addresses). */
const MAX_MEMORY_BUCKETS = 100_000;

interface WindowCounter {
  /** Counts one request in the bucket's current window: the count so far and when the window ends. */
  hit(key: string): Promise<{ count: number; resetAtMs: number }>;
}

function memoryCounter(clock: Clock): WindowCounter {
  const windows = new Map<string, { count: number; resetAtMs: number }>();
  return {
    async hit(key) {
      const now = clock.now().getTime();
      let window = windows.get(key);
      if (!window || window.resetAtMs <= now) {
        if (windows.size >= MAX_MEMORY_BUCKETS) {
          for (const [name, w] of windows) if (w.resetAtMs <= now) windows.delete(name);
          // Map keeps insertion order: the first entries are the oldest windows.
          for (const name of windows.keys()) {
            if (windows.size < MAX_MEMORY_BUCKETS * 0.9) break;
            windows.delete(name);
          }
        }
        window = { count: 0, resetAtMs: now + WINDOW_MS };
        windows.delete(key);
        windows.set(key, window);
      }
      window.count += 1;
      return { count: window.count, resetAtMs: window.resetAtMs };
    },
  };
}

/** INCR with the window's expiry set by the first request of the window, in one round trip. */
const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if count == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}`;

function redisCounter(redis: Redis, namespace: string, clock: Clock): WindowCounter {
  return {
    async hit(key) {
      const [count, ttl] = (await redis.eval(HIT_SCRIPT, 1, `${namespace}${key}`, WINDOW_MS)) as [
        number,
        number,
      ];
      return { count, resetAtMs: clock.now().getTime() + ttl };
    },
  };
}

/**
 * Fixed one-minute windows per bucket, in memory or in Redis. A bucket found over its limit is remembered
 * until its window ends (counts never go down within a window), so a flood past the limit is refused without
 * a round trip to Redis.
 */
export class RateLimiter {
  private readonly counter: WindowCounter;
  private readonly exhausted = new Map<string, number>();

  constructor(
    private readonly options: RateLimitOptions,
    private readonly clock: Clock,
  ) {
    this.counter = options.redis
      ? redisCounter(options.redis, options.namespace ?? 'keyward-rate-', clock)
      : memoryCounter(clock);
  }

  private limitOf(bucket: RateLimitBucket): number {
    return bucket.kind === 'address' ? this.options.perIpPerMinute : this.options.perTokenPerMinute;
  }

  private keyOf(request: FastifyRequest, bucket: RateLimitBucket): string {
    switch (bucket.kind) {
      case 'token':
        // The prefix is random per token: two deployments sharing one Redis do not share token 1's bucket.
        return `tok:${bucket.token.id}:${bucket.token.prefix}`;
      case 'license':
        return `lic:${bucket.licenseId}`;
      case 'user':
        return `user:${bucket.userId}`;
      case 'address':
        return `ip:${request.ip}`;
    }
  }

  private exhaustedUntil(key: string): number | null {
    const until = this.exhausted.get(key);
    if (until === undefined) return null;
    if (until > this.clock.now().getTime()) return until;
    this.exhausted.delete(key);
    return null;
  }

  /**
   * Counts the request once, in the first bucket it is assigned to; throws RATE_LIMITED past the limit. Later
   * calls for the same request count nothing, so a request is never counted twice nor moved to another bucket.
   */
  async count(request: FastifyRequest, bucket: RateLimitBucket): Promise<void> {
    request.rateLimitCount ??= { isCounted: false };
    const state = request.rateLimitCount;
    if (state.isCounted) return;
    state.isCounted = true;
    const limit = this.limitOf(bucket);
    if (limit === 0) return;
    const key = this.keyOf(request, bucket);
    const knownUntil = this.exhaustedUntil(key);
    if (knownUntil !== null) throw this.refuse(state, limit, knownUntil);
    let hit: { count: number; resetAtMs: number };
    try {
      hit = await this.counter.hit(key);
    } catch (error) {
      // A Redis outage must not take the API down with it: the request goes through uncounted.
      request.log.warn({ err: error }, 'rate limit counter unavailable');
      return;
    }
    state.limit = limit;
    state.remaining = Math.max(0, limit - hit.count);
    state.resetAtMs = hit.resetAtMs;
    if (hit.count > limit) {
      if (this.exhausted.size >= MAX_MEMORY_BUCKETS) this.exhausted.clear();
      this.exhausted.set(key, hit.resetAtMs);
      throw this.refuse(state, limit, hit.resetAtMs);
    }
  }

  /** Counts a request that was answered without being counted (refused before any credential was read). */
  async countAfterwards(request: FastifyRequest): Promise<void> {
    try {
      await this.count(request, ADDRESS);
    } catch {
      // Already answered; the count is what matters.
    }
  }

  private refuse(state: RequestCount, limit: number, resetAtMs: number): DomainError {
    state.isRefused = true;
    state.limit = limit;
    state.remaining = 0;
    state.resetAtMs = resetAtMs;
    const seconds = Math.max(1, Math.ceil((resetAtMs - this.clock.now().getTime()) / 1000));
    return new DomainError(
      'RATE_LIMITED',
      `rate limit of ${limit} requests a minute reached; retry in ${seconds} seconds`,
      { retryAfterSeconds: seconds },
    );
  }
}

/** Counts the request against a verified credential's bucket, or against its address when `bucket` is ADDRESS. */
export function countRequest(request: FastifyRequest, bucket: RateLimitBucket): Promise<void> {
  return request.server.rateLimiter.count(request, bucket);
}

/**
 * Every surface verifies an API token through this: a token that authenticates spends its own budget; a
 * request whose token does not (unknown, revoked, expired, refused for the address) spends its address's,
 * and is answered 429 instead of 401 once the address is over its limit.
 */
export async function authenticateToken(
  keyward: Keyward,
  request: FastifyRequest,
  secret: string,
): Promise<ApiTokenRecord> {
  let token: ApiTokenRecord;
  try {
    token = await keyward.tokenAuthentication.authenticate(secret, request.ip);
  } catch (error) {
    await countRequest(request, ADDRESS);
    throw error;
  }
  await countRequest(request, { kind: 'token', token });
  return token;
}

const isHealthCheck = (request: FastifyRequest) => request.url === '/healthz' || request.url === '/readyz';

/** A credential the native API or AuthTool reads from the headers; dialects that read the body flag their routes. */
function mayCarryCredential(request: FastifyRequest): boolean {
  const { authorization, cookie } = request.headers;
  return (
    (authorization !== undefined && authorization !== '') ||
    request.headers['x-api-key'] !== undefined ||
    (cookie?.includes(`${SESSION_COOKIE}=`) ?? false)
  );
}

/**
 * Per-minute limits: `perTokenPerMinute` for each verified credential, `perIpPerMinute` for each client
 * address's requests without one. 0 turns a limit off.
 *
 * Where a request is counted depends on when its credential is known. Routes under the shared authentication
 * (plugins/authenticate.ts) and AuthTool's hook count it as soon as the credential is checked (preValidation);
 * Cryptolens and LimeLM read theirs from the body and verify it in the handler through `authenticateToken`,
 * so their routes say `verifiesCredentialInHandler`. A request that carries no credential where its route
 * would read one is counted against its address on arrival, before its body is read; any other request not
 * counted by then (a public route, a not-found answer) is counted before its handler runs, and one refused
 * before any of that (a body that does not parse) when it ends.
 */
export async function registerRateLimits(
  app: FastifyInstance,
  options: RateLimitOptions,
  clock: Clock,
): Promise<void> {
  const limiter = new RateLimiter(options, clock);
  app.decorate('rateLimiter', limiter);
  app.decorateRequest('rateLimitCount', null);
  if (options.perTokenPerMinute === 0 && options.perIpPerMinute === 0) return;

  app.addHook('onRequest', async (request) => {
    if (isHealthCheck(request)) {
      request.rateLimitCount = { isCounted: true };
      return;
    }
    request.rateLimitCount = { isCounted: false };
    if (request.routeOptions.config?.verifiesCredentialInHandler || mayCarryCredential(request)) return;
    // Nothing here can earn the request a budget of its own: count it now, before its body is read.
    await limiter.count(request, ADDRESS);
  });

  app.addHook('preHandler', async (request) => {
    if (request.routeOptions.config?.verifiesCredentialInHandler) return;
    await limiter.count(request, ADDRESS);
  });

  app.addHook('onResponse', async (request) => {
    if (request.rateLimitCount?.isCounted === false) await limiter.countAfterwards(request);
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const state = request.rateLimitCount;
    if (state?.limit === undefined) return payload;
    const now = clock.now().getTime();
    const resetSeconds = Math.max(0, Math.ceil(((state.resetAtMs ?? now) - now) / 1000));
    reply.header('x-ratelimit-limit', state.limit);
    reply.header('x-ratelimit-remaining', state.remaining ?? 0);
    reply.header('x-ratelimit-reset', resetSeconds);
    if (state.isRefused) reply.header('retry-after', Math.max(1, resetSeconds));
    return payload;
  });
}
