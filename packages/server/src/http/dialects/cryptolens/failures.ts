import type { FastifyError } from 'fastify';
import { type ErrorCode, isDomainError } from '../../../core/domain-error.js';
import { FINGERPRINT_CHARACTERS } from '../../../core/machines/machine-identity.js';
import { isStoreUnavailable } from '../../../core/store-unavailable.js';
import { CryptolensFailure, MESSAGES } from './messages.js';

interface Failure {
  message: string;
  statusCode: number;
}

/**
 * Every domain failure in the vendor's words. Methods catch the codes whose meaning depends on the method
 * (NOT_FOUND names a customer in one method and a product in another); this table answers the rest. Only a
 * failed authentication leaves HTTP 200: every SDK reads `result`, and the vendor answers 401 for that one.
 */
export const DOMAIN_FAILURES: Record<ErrorCode, Failure> = {
  INVALID_INPUT: { message: MESSAGES.invalidInput, statusCode: 200 },
  UNAUTHENTICATED: { message: MESSAGES.unauthenticated, statusCode: 401 },
  FORBIDDEN: { message: MESSAGES.accessDenied, statusCode: 200 },
  NOT_FOUND: { message: MESSAGES.invalidInput, statusCode: 200 },
  CONFLICT: { message: MESSAGES.invalidInput, statusCode: 200 },
  LICENSE_NOT_FOUND: { message: MESSAGES.keyNotFound, statusCode: 200 },
  LICENSE_REVOKED: { message: MESSAGES.blocked, statusCode: 200 },
  LICENSE_SUSPENDED: { message: MESSAGES.blocked, statusCode: 200 },
  // Activations treat the license's expiry as advisory, so this is a policy's per-activation validity ending.
  LICENSE_EXPIRED: { message: MESSAGES.activationExpired, statusCode: 200 },
  PRODUCT_MISMATCH: { message: MESSAGES.keyNotFound, statusCode: 200 },
  MACHINE_LIMIT_REACHED: { message: MESSAGES.limitReached, statusCode: 200 },
  MACHINE_NOT_FOUND: { message: MESSAGES.neverActivated, statusCode: 200 },
  DEACTIVATION_LIMIT_REACHED: { message: MESSAGES.deactivationLimit, statusCode: 200 },
  VM_NOT_ALLOWED: { message: MESSAGES.vmNotAllowed, statusCode: 200 },
  USERNAME_NOT_ALLOWED: { message: MESSAGES.accessDenied, statusCode: 200 },
  FEATURE_INVALID: { message: MESSAGES.invalidInput, statusCode: 200 },
  IDEMPOTENCY_CONFLICT: { message: MESSAGES.invalidInput, statusCode: 200 },
  RATE_LIMITED: { message: MESSAGES.rateLimited, statusCode: 429 },
  UNAVAILABLE: { message: MESSAGES.unavailable, statusCode: 503 },
};

/** What to answer for a thrown error; `isBug` marks the ones worth logging as errors. */
export function failureOf(error: unknown): Failure & { isBug: boolean } {
  if (error instanceof CryptolensFailure) {
    return { message: error.message, statusCode: error.statusCode, isBug: false };
  }
  if (isDomainError(error) && error.details.reason === FINGERPRINT_CHARACTERS) {
    return { message: MESSAGES.machineCodeCharacters, statusCode: 200, isBug: false };
  }
  if (isDomainError(error)) return { ...DOMAIN_FAILURES[error.code], isBug: false };
  const statusCode = (error as FastifyError).statusCode;
  if (statusCode === 429) return { message: MESSAGES.rateLimited, statusCode: 429, isBug: false };
  // Fastify's own refusals of malformed requests (bad body, unknown media type, body too large).
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) {
    return { message: MESSAGES.invalidInput, statusCode: 200, isBug: false };
  }
  if (isStoreUnavailable(error)) return { message: MESSAGES.unavailable, statusCode: 503, isBug: true };
  return { message: MESSAGES.serverError, statusCode: 500, isBug: true };
}
