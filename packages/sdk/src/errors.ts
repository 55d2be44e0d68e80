/**
 * Every failure the SDK reports is a KeywardError with a `code`: the server's own error codes
 * (`MACHINE_LIMIT_REACHED`, `LICENSE_REVOKED`, … — see SERVER_ERROR_CODES) for refused requests, and the
 * SDK's codes below for what happens on the client side. Invalid licenses are results, not errors.
 */

import type { ServerErrorCode } from './generated/server-catalog.js';

/** The server's closed catalog of error codes, generated from the server (`npm run generate`). */
export { SERVER_ERROR_CODES, type ServerErrorCode } from './generated/server-catalog.js';

export const SDK_ERROR_CODES = [
  /** The server could not be reached (DNS, refused connection, timeout) or kept failing with 5xx. */
  'NETWORK_ERROR',
  /** An answer's Ed25519 signature is missing or does not verify with the embedded public key. */
  'SIGNATURE_INVALID',
  /** A signed answer carries another request's nonce: a replayed answer. */
  'NONCE_MISMATCH',
  /** The answer is not what the API documents (not JSON, missing fields). */
  'BAD_ANSWER',
  /** The local clock is earlier than a time this installation has already seen. */
  'CLOCK_ROLLBACK',
  'LICENSE_FILE_INVALID',
  'LICENSE_FILE_EXPIRED',
  /** The license file belongs to another machine or license. */
  'LICENSE_FILE_MISMATCH',
  'OFFLINE_RESPONSE_INVALID',
  'NOT_ACTIVATED',
  /** This runtime offers no Ed25519 (or no WebCrypto); pass `verifier`. */
  'UNSUPPORTED',
  /**
   * A genuine signed answer about something else than was asked: another key, license id, machine
   * fingerprint, product or feature list (a proxy rewrote the request), or without the echo of the request.
   */
  'ANSWER_MISMATCH',
  /** A signed answer's server time is further from this machine's clock than `maxClockSkewSeconds`. */
  'CLOCK_SKEW',
] as const;
export type SdkErrorCode = (typeof SDK_ERROR_CODES)[number];

export type KeywardErrorCode = ServerErrorCode | SdkErrorCode;

export class KeywardError extends Error {
  override readonly name: string = 'KeywardError';
  constructor(
    /** A server code, an SDK code, or (from a newer server) a code this SDK does not know yet. */
    readonly code: KeywardErrorCode | (string & {}),
    message: string,
    readonly options: {
      status?: number | null;
      requestId?: string | null;
      details?: Record<string, unknown>;
      cause?: unknown;
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }
  get status(): number | null {
    return this.options.status ?? null;
  }
  get requestId(): string | null {
    return this.options.requestId ?? null;
  }
  get details(): Record<string, unknown> {
    return this.options.details ?? {};
  }
}

/** The server refused the request (4xx, or 5xx once retries ran out): `code` is the server's. */
export class ApiError extends KeywardError {
  override readonly name = 'ApiError';
}

/** No answer: the app may be offline. The offline policy's grace period applies to these only. */
export class NetworkError extends KeywardError {
  override readonly name = 'NetworkError';
}

/** An answer that failed verification (forged, replayed, tampered with, or for another machine). */
export class VerificationError extends KeywardError {
  override readonly name = 'VerificationError';
}

export class ClockRollbackError extends KeywardError {
  override readonly name = 'ClockRollbackError';
}

export const isKeywardError = (error: unknown): error is KeywardError => error instanceof KeywardError;
