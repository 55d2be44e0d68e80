/**
 * The closed catalog of license validation outcomes. Append only: apps in the field compare these strings.
 * The order of checks lives in evaluate-license.ts.
 */
export const VALIDATION_CODES = {
  VALID: 'the license is valid',
  NOT_FOUND: 'no license has this key',
  REVOKED: 'the license has been revoked',
  SUSPENDED: 'the license is suspended',
  PRODUCT_MISMATCH: 'the license does not unlock this product',
  NOT_STARTED: 'the license starts at its first activation and has not been activated yet',
  EXPIRED: 'the license has expired',
  FEATURE_MISSING: 'the license lacks a required feature',
  NO_MACHINE: 'the license has no activated machine',
  FINGERPRINT_MISMATCH: 'no machine with this fingerprint is activated on the license',
  ACTIVATION_EXPIRED: "this machine's activation has expired",
  LEASE_EXPIRED: "this machine's floating lease has expired",
  TOO_MANY_MACHINES: 'the license has more machines than it allows',
} as const;

export type ValidationCode = keyof typeof VALIDATION_CODES;

export interface ValidationOutcome {
  valid: boolean;
  code: ValidationCode;
  detail: string;
}
