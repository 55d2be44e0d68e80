/** Idempotency keys: a write retried with its key answers as the first time. */

export interface IdempotencyRecord {
  requestHash: string;
  statusCode: number | null;
  responseBody: string | null;
  createdAt: Date;
}
export interface IdempotencyRepository {
  /** Claims the key; returns the existing record instead when someone claimed it before. */
  claim(scope: string, key: string, requestHash: string, at: Date): Promise<IdempotencyRecord | null>;
  /** Keeps the answer on the claim made at `claimedAt`; false when that claim is gone (taken over). */
  complete(
    scope: string,
    key: string,
    claimedAt: Date,
    answer: { statusCode: number; responseBody: string },
  ): Promise<boolean>;
  /** Forgets the claim; only the one made at `claimedAt` when given. */
  release(scope: string, key: string, claimedAt?: Date): Promise<void>;
  deleteOlderThan(at: Date): Promise<number>;
}

/** The repository above, as `Repositories` holds it. */
export interface IdempotencyRepositories {
  idempotency: IdempotencyRepository;
}
