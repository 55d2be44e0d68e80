import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type ErrorCode, isDomainError } from '../../core/domain-error.js';
import { isStoreUnavailable } from '../../core/store-unavailable.js';

/** Every domain failure has exactly one HTTP status; the compiler checks the table is complete. */
export const HTTP_STATUS = {
  INVALID_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  LICENSE_NOT_FOUND: 404,
  LICENSE_REVOKED: 422,
  LICENSE_SUSPENDED: 422,
  LICENSE_EXPIRED: 422,
  PRODUCT_MISMATCH: 422,
  MACHINE_LIMIT_REACHED: 422,
  MACHINE_NOT_FOUND: 404,
  DEACTIVATION_LIMIT_REACHED: 422,
  VM_NOT_ALLOWED: 422,
  USERNAME_NOT_ALLOWED: 422,
  FEATURE_INVALID: 422,
  IDEMPOTENCY_CONFLICT: 409,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
} as const satisfies Record<ErrorCode, number>;

/**
 * Codes of Fastify's own refusals of a request's transport that are no domain failure, each with its one
 * status; every other refusal of Fastify's is INVALID_INPUT (400) or RATE_LIMITED (429).
 */
export const TRANSPORT_ERROR_STATUS = { PAYLOAD_TOO_LARGE: 413, UNSUPPORTED_MEDIA_TYPE: 415 } as const;
export type TransportErrorCode = keyof typeof TRANSPORT_ERROR_STATUS;

const TRANSPORT_CODE_OF_STATUS = new Map<number, TransportErrorCode>(
  Object.entries(TRANSPORT_ERROR_STATUS).map(([code, status]) => [status, code as TransportErrorCode]),
);

interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown>; requestId: string };
}

export function errorBody(
  request: FastifyRequest,
  code: string,
  message: string,
  details?: Record<string, unknown>,
): ErrorBody {
  return { error: { code, message, ...(details ? { details } : {}), requestId: request.id } };
}

/** Fastify's own failures (bad JSON, wrong content type, body too large, schema) as 4xx with our envelope. */
function frameworkError(error: FastifyError): { status: number; code: string; message: string } | null {
  if (error.validation) {
    const first = error.validation[0];
    const where = error.validationContext ?? 'request';
    const path = first?.instancePath ? first.instancePath.slice(1).replaceAll('/', '.') : '';
    const extra =
      first?.keyword === 'additionalProperties' ? ` (${String(first.params?.additionalProperty)})` : '';
    return {
      status: 400,
      code: 'INVALID_INPUT',
      message: `${where}${path ? `.${path}` : ''} ${first?.message ?? 'is invalid'}${extra}`,
    };
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const code = TRANSPORT_CODE_OF_STATUS.get(status) ?? (status === 429 ? 'RATE_LIMITED' : 'INVALID_INPUT');
    return { status, code, message: error.message };
  }
  return null;
}

/**
 * Answers a request that matched no route instead of the JSON 404 when it wants to (the dashboard's page for a
 * browser, http/dashboard-static.ts); returns undefined to leave it to the JSON 404.
 */
export type NotFoundPage = (request: FastifyRequest, reply: FastifyReply) => FastifyReply | undefined;

export function registerErrorHandler(
  app: FastifyInstance,
  options: { notFoundPage?: NotFoundPage } = {},
): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (isDomainError(error)) {
      return reply
        .status(HTTP_STATUS[error.code])
        .send(errorBody(request, error.code, error.message, error.details));
    }
    const known = frameworkError(error);
    if (known) return reply.status(known.status).send(errorBody(request, known.code, known.message));
    request.log.error({ err: error }, 'unhandled error');
    if (isStoreUnavailable(error)) {
      return reply.status(503).send(errorBody(request, 'UNAVAILABLE', error.message));
    }
    return reply
      .status(500)
      .send(errorBody(request, 'INTERNAL', 'internal error; quote the request id when reporting it'));
  });
  app.setNotFoundHandler(
    (request, reply) =>
      options.notFoundPage?.(request, reply) ??
      reply
        .status(404)
        .send(errorBody(request, 'NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`)),
  );
}

/**
 * Failures the router meets before any route or hook runs (a URL that is not valid percent-encoding, a path
 * parameter longer than the router allows) in the same envelope. The raw path is not echoed: it may hold a key.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
  reply
    .status(tooLong ? 414 : 400)
    .header('x-request-id', request.id)
    .send(
      errorBody(
        request,
        'INVALID_INPUT',
        tooLong ? 'a path parameter is too long' : 'the URL is not valid percent-encoded UTF-8',
      ),
    );
}
