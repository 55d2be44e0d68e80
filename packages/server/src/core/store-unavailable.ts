/**
 * The database failed, not the request: it is unreachable or restarting, its disk is full, its file is
 * read-only. Storage throws this for its drivers' failures (storage/unavailable-database.ts), so each surface
 * answers its own "unavailable, try again" (native 503, LimeLM 142, …) without knowing any driver, and the
 * server recovers once the database does. The message is for the caller and names no driver detail; the
 * driver's error is the cause, for the log. Not a DomainError: no use case decided it, and an operator must
 * act on it, so surfaces log it as an error.
 */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';

  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
  }
}

export function isStoreUnavailable(error: unknown): error is StoreUnavailableError {
  return error instanceof StoreUnavailableError;
}
