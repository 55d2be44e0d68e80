import { type TUnsafe, Type } from 'typebox';
import type { ErrorCode } from '../../../core/domain-error.js';
import { HTTP_STATUS, TRANSPORT_ERROR_STATUS, type TransportErrorCode } from '../../plugins/error-handler.js';
import { writeAsBuilt } from '../../plugins/response-serializer.js';
import { EXAMPLE } from './examples.js';

/** Every code an error of the native API carries: the domain's catalog, then Fastify's transport refusals. */
export type WireErrorCode = ErrorCode | TransportErrorCode;

const STATUS_OF = { ...HTTP_STATUS, ...TRANSPORT_ERROR_STATUS } as const;
type StatusOf = typeof STATUS_OF;
export type ErrorStatus = StatusOf[WireErrorCode];

/** In catalog order, so every list of codes the document shows is in one order. */
const WIRE_CODES = Object.keys(STATUS_OF) as WireErrorCode[];

/** What each code tells a client, whichever route answers it. */
const MEANING: Record<WireErrorCode, string> = {
  INVALID_INPUT:
    'a path parameter, query parameter, header or body field is invalid, or the request contradicts ' +
    'itself; `details.field` names the field when one is to blame',
  UNAUTHENTICATED:
    'no credential, or an unknown, revoked or expired token, an unknown license key or an ended dashboard session',
  FORBIDDEN:
    'the credential may not do this: a missing scope, a product, license or method lock, a dormant token ' +
    'writing, an address outside its allow-list, or a session request without its X-CSRF-Token',
  NOT_FOUND:
    'something the request names does not exist, or the credential may not see it (both answer alike)',
  CONFLICT: 'the change contradicts what is stored (a unique value taken, a state that forbids it)',
  LICENSE_NOT_FOUND: 'no license this credential may see has this id or key',
  LICENSE_REVOKED: 'the license is revoked',
  LICENSE_SUSPENDED: 'the license is suspended',
  LICENSE_EXPIRED: "the license, or this machine's activation, has expired",
  PRODUCT_MISMATCH: 'the license does not unlock the product asked for',
  MACHINE_LIMIT_REACHED: 'every seat of the license is taken',
  MACHINE_NOT_FOUND: 'no active machine of the license has this id or fingerprint',
  DEACTIVATION_LIMIT_REACHED: 'the license may not deactivate more machines',
  VM_NOT_ALLOWED: 'the license may not be used inside a virtual machine',
  USERNAME_NOT_ALLOWED: "the user is not one of the license's named users",
  FEATURE_INVALID:
    'a feature value does not fit its field: unknown, of another type, or required and missing',
  IDEMPOTENCY_CONFLICT:
    'the Idempotency-Key was sent before with another request, or its first request is still running',
  RATE_LIMITED:
    "the credential's or the address's requests of this minute are spent; retry after the Retry-After " +
    'header (also `details.retryAfterSeconds`)',
  UNAVAILABLE: 'the server is in maintenance mode or its database is unavailable; retry shortly',
  PAYLOAD_TOO_LARGE:
    'the body is over the size limit or holds too many JSON values, or the query string has more than ' +
    '1000 parameters',
  UNSUPPORTED_MEDIA_TYPE: 'the body is not `application/json`',
};

/** A message the server writes for each code, for the envelope's example. */
const EXAMPLE_MESSAGE: Record<WireErrorCode, string> = {
  INVALID_INPUT: 'body.expiresAt must match format "date-time"',
  UNAUTHENTICATED: 'the token is unknown, revoked or expired',
  FORBIDDEN: 'this token lacks the scope licenses:write',
  NOT_FOUND: 'policy 7 does not exist',
  CONFLICT: 'delete the policies of the product first',
  LICENSE_NOT_FOUND: 'no such license is visible to this credential',
  LICENSE_REVOKED: 'the license has been revoked',
  LICENSE_SUSPENDED: 'the license is suspended',
  LICENSE_EXPIRED: 'the license has expired',
  PRODUCT_MISMATCH: 'the license does not unlock this product',
  MACHINE_LIMIT_REACHED: 'every seat of the license is taken',
  MACHINE_NOT_FOUND: 'machine 12 is not active',
  DEACTIVATION_LIMIT_REACHED: 'the license may not deactivate more machines',
  VM_NOT_ALLOWED: 'the license may not be used inside a virtual machine',
  USERNAME_NOT_ALLOWED: 'this user may not use the license',
  FEATURE_INVALID: 'unknown feature "seats"',
  IDEMPOTENCY_CONFLICT: 'this Idempotency-Key was used with another request',
  RATE_LIMITED: 'rate limit of 600 requests a minute reached; retry in 17 seconds',
  UNAVAILABLE: 'the database is unavailable; try again shortly',
  PAYLOAD_TOO_LARGE: 'Request body is too large',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported Media Type',
};

const STATUS_TITLE: Record<ErrorStatus, string> = {
  400: 'Invalid request',
  401: 'Not authenticated',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  413: 'Request too large',
  415: 'Unsupported media type',
  422: "Refused by the license's rules",
  429: 'Too many requests',
  503: 'Unavailable',
};

const ErrorDetails = Type.Record(Type.String(), Type.Unknown(), {
  description:
    'Machine-readable context, never secrets: `field` names the offending field, `retryAfterSeconds` how ' +
    'long to wait, and so on.',
  examples: [{ field: 'policyId' }],
});

/** Sent with every answer while a rate limit applies; Retry-After with refusals only (plugins/rate-limits.ts). */
const RATE_LIMIT_HEADERS = {
  'retry-after': Type.Integer({
    description: 'Seconds until the limit allows a request again',
    examples: [17],
  }),
  'x-ratelimit-limit': Type.Integer({ description: 'Requests allowed a minute', examples: [600] }),
  'x-ratelimit-remaining': Type.Integer({ description: 'Requests left this minute', examples: [0] }),
  'x-ratelimit-reset': Type.Integer({ description: 'Seconds until the minute ends', examples: [17] }),
};

interface ErrorBody {
  error: { code: WireErrorCode; message: string; details?: Record<string, unknown>; requestId: string };
}
export type ErrorEnvelope = TUnsafe<ErrorBody>;

const envelopes = new Map<string, ErrorEnvelope>();
const codesOfEnvelope = new WeakMap<object, readonly WireErrorCode[]>();

/**
 * The envelope every refusal of the native API is written in (plugins/error-handler.ts), for one status and
 * the codes it may carry there. One schema object per set of codes, shared by the routes; it documents the
 * envelope, which is written exactly as the error handler builds it.
 */
export function errorEnvelope(codes: readonly WireErrorCode[]): ErrorEnvelope {
  const listed = WIRE_CODES.filter((code) => codes.includes(code));
  const [first] = listed;
  if (first === undefined) throw new Error('an error response names at least one code');
  const status = STATUS_OF[first];
  const strays = listed.filter((code) => STATUS_OF[code] !== status);
  if (strays.length > 0) throw new Error(`${strays.join(', ')} are not answered with ${status}`);
  const key = listed.join(',');
  const known = envelopes.get(key);
  if (known) return known;
  const schema = writeAsBuilt(
    Type.Unsafe<ErrorBody>(
      Type.Object(
        {
          error: Type.Object({
            code: Type.Unsafe<WireErrorCode>({
              type: 'string',
              enum: listed,
              description: 'What went wrong, for programs: stable across versions; branch on it.',
            }),
            message: Type.String({
              description: 'What went wrong, for people; its words may change between versions.',
              examples: [EXAMPLE_MESSAGE[first]],
            }),
            details: Type.Optional(ErrorDetails),
            requestId: Type.String({
              description: 'Also in the X-Request-Id header; quote it when reporting a problem.',
              examples: [EXAMPLE.requestId],
            }),
          }),
        },
        {
          // @fastify/swagger's key for a response's description that is not also the schema's.
          'x-response-description': `${STATUS_TITLE[status]}. \`error.code\` is one of:\n${listed
            .map((code) => `- \`${code}\`: ${MEANING[code]}`)
            .join('\n')}`,
          ...(listed.includes('RATE_LIMITED') ? { headers: RATE_LIMIT_HEADERS } : {}),
        },
      ),
    ),
  );
  envelopes.set(key, schema);
  codesOfEnvelope.set(schema, listed);
  return schema;
}

/** The codes an envelope built by `errorEnvelope` names; undefined for any other schema. */
export function codesOf(schema: unknown): readonly WireErrorCode[] | undefined {
  return typeof schema === 'object' && schema !== null ? codesOfEnvelope.get(schema) : undefined;
}

/**
 * The error responses of a route, by status, from the codes it may answer: each code has one status (the error
 * handler's table), so a code cannot be documented under another. For `response: { 200: …, ...errorResponses(…) }`.
 */
export function errorResponses<const Codes extends readonly WireErrorCode[]>(
  ...codes: Codes
): { [Code in Codes[number] as StatusOf[Code]]: ErrorEnvelope } {
  const byStatus = new Map<number, WireErrorCode[]>();
  for (const code of codes) byStatus.set(STATUS_OF[code], [...(byStatus.get(STATUS_OF[code]) ?? []), code]);
  return Object.fromEntries([...byStatus].map(([status, listed]) => [status, errorEnvelope(listed)])) as {
    [Code in Codes[number] as StatusOf[Code]]: ErrorEnvelope;
  };
}

/**
 * `response` with the error responses of `codes` added: a status the route already documents keeps its codes
 * and gains these. Anything else already at such a status is a mistake in the route's schema.
 */
export function withErrorResponses(
  response: Record<string, unknown>,
  codes: readonly WireErrorCode[],
): Record<string, unknown> {
  const merged = { ...response };
  for (const [status, added] of Object.entries(errorResponses(...codes))) {
    const declared = merged[status];
    const declaredCodes = declared === undefined ? [] : codesOf(declared);
    if (declaredCodes === undefined) throw new Error(`response ${status} is not an error envelope`);
    merged[status] = errorEnvelope([...declaredCodes, ...(codesOf(added) ?? [])]);
  }
  return merged;
}

/** The answer of a route that answers 204: no body at all (`reply.status(204).send()`). */
export const NoContent = Type.Unsafe<undefined>(Type.Null({ description: 'Done; the answer has no body.' }));
