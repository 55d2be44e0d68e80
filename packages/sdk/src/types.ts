/**
 * The native API's answers as the SDK reads them (the server's OpenAPI document at /openapi.json is the
 * reference; the end-to-end suite checks the validation codes below against it).
 */

import type { ValidationCode } from './generated/server-catalog.js';

/** Validation outcomes, generated from the server (`npm run generate`); append only on the server. */
export { VALIDATION_CODES, type ValidationCode } from './generated/server-catalog.js';

export type FeatureValue = string | number | boolean;

export interface License {
  id: number;
  key: string;
  policyId: number;
  productIds: number[];
  status: 'active' | 'suspended' | 'revoked' | 'expired';
  expiresAt: string | null;
  features: Record<string, FeatureValue>;
  [field: string]: unknown;
}

export interface Machine {
  id: number;
  licenseId: number;
  fingerprint: string;
  name: string | null;
  platform: string | null;
  isVm: boolean;
  createdAt: string;
  lastSeenAt: string;
  leaseExpiresAt: string | null;
  isOverdraft: boolean;
  expiresAt: string | null;
  deactivatedAt: string | null;
  [field: string]: unknown;
}

/** The request a signed answer is about, echoed by the server inside the signed bytes. */
export interface AnsweredRequest {
  /** The key as sent (validate-key), or null when asked by license id. */
  key: string | null;
  licenseId: number | null;
  fingerprint: string | null;
  productId: number | null;
  features: string[] | null;
}

/**
 * A validation answer whose signature has been checked, and that it answers this request: the nonce and the
 * echoed key, fingerprint, product and features are the ones sent, and the server time is near this clock.
 */
export interface ValidationResult {
  valid: boolean;
  /** A ValidationCode, or a code from a newer server. */
  code: ValidationCode | (string & {});
  detail: string;
  nonce: string | null;
  /** Server time of the answer (ISO-8601). */
  ts: string;
  request: AnsweredRequest;
  license: License | null;
  machine: Machine | null;
}

/** A signed answer exactly as received, so it can be checked again later without the network. */
export interface SignedAnswer {
  body: string;
  signature: string;
}

/** What a machine tells the server about itself on activation. */
export interface MachineInfo {
  name?: string;
  platform?: string;
  isVm?: boolean;
  username?: string;
}
