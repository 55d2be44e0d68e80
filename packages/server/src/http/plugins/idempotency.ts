import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { Type } from 'typebox';
import type { Keyward } from '../../core/keyward.js';
import {
  checkIdempotencyKey,
  IDEMPOTENCY_TTL_SECONDS,
  type IdempotentRequest,
} from '../../core/operations/idempotency-service.js';

const HEADER = 'idempotency-key';
/** The API whose every write honours Idempotency-Key. */
const NATIVE_PREFIX = '/v1';
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

const running = new WeakMap<FastifyRequest, IdempotentRequest>();

/**
 * Whether a route honours Idempotency-Key: every write of the native API (POST, PATCH, PUT, DELETE under
 * /v1) unless it says `idempotent: false` (signing in and out, whose answers are cookies); elsewhere only a
 * route that says `idempotent: true`.
 */
export function isIdempotentRoute(route: Pick<RouteOptions, 'method' | 'url' | 'config'>): boolean {
  const declared = (route.config as { idempotent?: boolean } | undefined)?.idempotent;
  if (declared !== undefined) return declared;
  const methods = [route.method].flat();
  return route.url.startsWith(NATIVE_PREFIX) && methods.every((method) => !READS.has(method));
}

const HEADER_DESCRIPTION =
  'Makes the write safe to retry: a request repeated with the same key (1-255 visible ASCII characters) and ' +
  `the same body within ${IDEMPOTENCY_TTL_SECONDS / 3600} hours answers what the first one answered ` +
  '(marked `Idempotent-Replayed: true`) and changes nothing more; the same key with another request is ' +
  'refused (409 IDEMPOTENCY_CONFLICT). The change and the kept answer commit together.';

/** Documents the header in the route's schema, so the OpenAPI document shows it on every such route. */
function documentHeader(route: RouteOptions): void {
  route.schema ??= {};
  const schema = route.schema as { headers?: unknown };
  const header = Type.Optional(Type.String({ description: HEADER_DESCRIPTION }));
  if (schema.headers === undefined) {
    schema.headers = Type.Object({ [HEADER]: header });
    return;
  }
  const existing = schema.headers as { properties?: Record<string, unknown> };
  existing.properties = { ...existing.properties, [HEADER]: header };
}

/** Who asks and which route: keys of different callers or routes never meet. */
function scopeOf(request: FastifyRequest): string {
  const p = request.principal;
  let who: string;
  // Dashboard sessions share one stand-in token; each user keeps their own keys.
  if (request.dashboardUser) who = `user:${request.dashboardUser.id}`;
  else if (p?.kind === 'token') who = `token:${p.token.id}`;
  else if (p?.kind === 'license') who = `license:${p.license.id}`;
  // A route open to anonymous callers (validate-key): the address stands in for the caller.
  else who = `anonymous:${request.ip}`;
  return `${who} ${request.method} ${request.routeOptions.url ?? ''}`;
}

/**
 * `Idempotency-Key` on every write of the native API (as Stripe and Keygen do). The first request with a key
 * runs as one unit of work whose change and answer commit in one transaction (core's IdempotencyService
 * decides what is kept); a retry with the same key and request gets that answer back, marked
 * `Idempotent-Replayed: true`; the same key with a different request is refused.
 */
export function registerIdempotency(app: FastifyInstance, keyward: Keyward): void {
  app.addHook('onRoute', (route) => {
    if (!isIdempotentRoute(route)) return;
    documentHeader(route);
    const claim = async (request: FastifyRequest, reply: FastifyReply) => {
      const header = request.headers[HEADER];
      if (header === undefined) return;
      const key = checkIdempotencyKey(Array.isArray(header) ? header[0] : header);
      const started = await keyward.idempotency.start({
        scope: scopeOf(request),
        key,
        request: { params: request.params ?? null, body: request.body ?? null },
      });
      if (started.kind === 'run') {
        running.set(request, started.request);
        return;
      }
      const { statusCode, body } = started.answer;
      reply.status(statusCode).header('idempotent-replayed', 'true');
      if (body === null) return reply.send();
      return reply.type('application/json; charset=utf-8').send(body);
    };
    // The first onSend hook: nothing before it reads the database while the request's transaction is open.
    const finish = async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
      const idempotent = running.get(request);
      if (!idempotent) return payload;
      running.delete(request);
      const body = payload === undefined || payload === null || payload === '' ? null : payload;
      await idempotent.finish({
        statusCode: reply.statusCode,
        body: body === null || typeof body === 'string' ? body : undefined,
      });
      return payload;
    };
    // A request that ended without an answer passing onSend (aborted) keeps nothing.
    const abandon = async (request: FastifyRequest) => {
      const idempotent = running.get(request);
      if (!idempotent) return;
      running.delete(request);
      await idempotent.abandon();
    };
    // On the routes that honour the header only: the others do not pay for three hooks per request.
    route.preHandler = [...[route.preHandler ?? []].flat(), claim];
    route.onSend = [finish, ...[route.onSend ?? []].flat()];
    route.onResponse = [...[route.onResponse ?? []].flat(), abandon];
    const handler = route.handler;
    route.handler = function idempotentHandler(this: FastifyInstance, request, reply) {
      const idempotent = running.get(request);
      if (!idempotent) return handler.call(this, request, reply);
      return idempotent.run(async () => handler.call(this, request, reply));
    };
  });
}
