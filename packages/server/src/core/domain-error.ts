/**
 * The closed catalog of domain failures. Every surface maps every code to its own wire format in a table
 * typed `Record<ErrorCode, …>`, so adding a code here fails compilation until each surface handles it.
 * Append only.
 */
export const ERROR_CODES = [
  'INVALID_INPUT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'LICENSE_NOT_FOUND',
  'LICENSE_REVOKED',
  'LICENSE_SUSPENDED',
  'LICENSE_EXPIRED',
  'PRODUCT_MISMATCH',
  'MACHINE_LIMIT_REACHED',
  'MACHINE_NOT_FOUND',
  'DEACTIVATION_LIMIT_REACHED',
  'VM_NOT_ALLOWED',
  'USERNAME_NOT_ALLOWED',
  'FEATURE_INVALID',
  'IDEMPOTENCY_CONFLICT',
  'RATE_LIMITED',
  'UNAVAILABLE',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Machine-readable context, e.g. the offending field. Never holds secrets. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}
