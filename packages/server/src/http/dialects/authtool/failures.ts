import type { FastifyError } from 'fastify';
import { TOKEN_REFUSALS } from '../../../core/access/token-limits.js';
import { type ErrorCode, isDomainError } from '../../../core/domain-error.js';
import { isStoreUnavailable } from '../../../core/store-unavailable.js';

/** An answer in AuthTool's envelope: `{ message }`, plus `details` where the vendor sends them (400). */
export class AuthToolFailure extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly details?: string,
  ) {
    super(message);
  }

  get body(): { message: string; details?: string } {
    return { message: this.message, ...(this.details !== undefined ? { details: this.details } : {}) };
  }
}

export const INVALID_API_KEY = 'Invalid API key';
export const KEY_NOT_FOUND = 'Key not found';

/** What the caller tried, for the vendor's "You don't have permission to … this key" answers. */
export type Action = 'create' | 'reset' | 'detail' | 'change-status' | 'delete';

export const PERMISSION_MESSAGES: Record<Action, string> = {
  create: "You don't have permission to create keys for these packages",
  reset: "You don't have permission to reset this key",
  detail: "You don't have permission to access this key",
  'change-status': "You don't have permission to change the status of this key",
  delete: "You don't have permission to delete this key",
};

/** Core names its fields by the domain; the caller knows them by AuthTool's names. */
const FIELD_NAMES: Record<string, string> = {
  productIds: 'packageIds',
  productId: 'packageIds',
  maxMachines: 'activateCount',
  expiresAt: 'endDate',
  count: 'quantity',
  activationPeriod: 'duration',
  termPeriod: 'duration',
};

function validation(message: string, field: unknown): AuthToolFailure {
  const name = typeof field === 'string' ? (FIELD_NAMES[field] ?? field) : null;
  return new AuthToolFailure(422, name ? `${name}: ${message}` : message);
}

/**
 * Every domain failure in AuthTool's words, checked complete by the compiler. None of the six endpoints
 * activates a device, so activation refusals cannot occur; they still get an answer rather than a 500.
 */
const DOMAIN_FAILURES: Record<
  ErrorCode,
  (message: string, details: Record<string, unknown>) => AuthToolFailure
> = {
  INVALID_INPUT: (m, d) => validation(m, d.field),
  UNAUTHENTICATED: () => new AuthToolFailure(401, INVALID_API_KEY),
  // Replaced by the action's own message in failureOf, unless a token limit says more.
  FORBIDDEN: (m) => new AuthToolFailure(403, m),
  NOT_FOUND: (m, d) => validation(m, d.field),
  CONFLICT: (m) => new AuthToolFailure(422, m),
  LICENSE_NOT_FOUND: () => new AuthToolFailure(404, KEY_NOT_FOUND),
  LICENSE_REVOKED: (m) => new AuthToolFailure(422, m),
  LICENSE_SUSPENDED: (m) => new AuthToolFailure(422, m),
  LICENSE_EXPIRED: (m) => new AuthToolFailure(422, m),
  PRODUCT_MISMATCH: (m) => new AuthToolFailure(422, m),
  MACHINE_LIMIT_REACHED: (m) => new AuthToolFailure(422, m),
  MACHINE_NOT_FOUND: (m) => new AuthToolFailure(422, m),
  DEACTIVATION_LIMIT_REACHED: (m) => new AuthToolFailure(422, m),
  VM_NOT_ALLOWED: (m) => new AuthToolFailure(422, m),
  USERNAME_NOT_ALLOWED: (m) => new AuthToolFailure(422, m),
  FEATURE_INVALID: (m, d) => validation(m, d.field),
  IDEMPOTENCY_CONFLICT: (m) => new AuthToolFailure(422, m),
  RATE_LIMITED: () => new AuthToolFailure(429, 'Rate limit exceeded'),
  UNAVAILABLE: () => new AuthToolFailure(503, 'Service temporarily unavailable, try again shortly'),
};

/** Token limits refuse with their own reason; their message says more than "no permission". */
const TOKEN_LIMIT_MESSAGES: Record<string, string> = {
  [TOKEN_REFUSALS.dormant]: 'This API key is dormant: it may read keys but not change them',
  [TOKEN_REFUSALS.clientAddressLimit]: 'This API key is used from too many addresses',
  [TOKEN_REFUSALS.activationAllowance]: "This API key's activation allowance is used up",
};

/** Fastify's own refusals: malformed bodies, unknown media types, bodies too large, rate limits. */
function frameworkFailure(error: FastifyError): AuthToolFailure | null {
  const status = error.statusCode;
  if (status === 429) return new AuthToolFailure(429, 'Rate limit exceeded');
  if (status === 413) return new AuthToolFailure(413, 'Request body is too large');
  if (status === 415) return new AuthToolFailure(415, 'Send the request body as JSON');
  if (status !== undefined && status >= 400 && status < 500) {
    return new AuthToolFailure(400, 'Bad request', error.message);
  }
  return null;
}

/** The answer for a thrown error; `isBug` marks the ones worth logging as errors. */
export function failureOf(
  error: unknown,
  action: Action | null,
): { failure: AuthToolFailure; isBug: boolean } {
  if (error instanceof AuthToolFailure) return { failure: error, isBug: false };
  if (isDomainError(error)) {
    if (error.code === 'FORBIDDEN') {
      const reason = TOKEN_LIMIT_MESSAGES[String(error.details.reason)];
      const message = reason ?? (action ? PERMISSION_MESSAGES[action] : error.message);
      return { failure: new AuthToolFailure(403, message), isBug: false };
    }
    // change-status is documented to answer a bad body with 400 and the reason in `details`.
    if (error.code === 'INVALID_INPUT' && action === 'change-status') {
      return { failure: new AuthToolFailure(400, 'Validation error', error.message), isBug: false };
    }
    return { failure: DOMAIN_FAILURES[error.code](error.message, error.details), isBug: false };
  }
  const known = frameworkFailure(error as FastifyError);
  if (known) return { failure: known, isBug: false };
  if (isStoreUnavailable(error)) {
    return { failure: DOMAIN_FAILURES.UNAVAILABLE('', {}), isBug: true };
  }
  return { failure: new AuthToolFailure(500, 'Internal server error'), isBug: true };
}
