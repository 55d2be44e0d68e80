import { createHash } from 'node:crypto';
import type { Clock } from '../clock.js';
import { DomainError } from '../domain-error.js';
import type { Store, UnitOfWork } from '../ports.js';
import type { SecretBox } from '../signing/secrets.js';
import type { IdempotencyRecord } from './idempotency-ports.js';

/** Answers are replayed for this long; a retry after that runs anew. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;
/** A claim without an answer this old belongs to a request that died; a retry may take it over. */
const ABANDONED_AFTER_SECONDS = 60;

/** What a request answered: its status and body (null: none, e.g. 204). */
export interface IdempotentAnswer {
  statusCode: number;
  body: string | null;
}

export type IdempotencyStart =
  | { kind: 'replay'; answer: IdempotentAnswer }
  | { kind: 'run'; request: IdempotentRequest };

/** Keys are chosen by clients: 1 to 255 visible ASCII characters, as Stripe and Keygen take them. */
export function checkIdempotencyKey(key: string | undefined): string {
  if (!key || key.length > 255 || !/^[\x21-\x7E]+$/.test(key)) {
    throw new DomainError('INVALID_INPUT', 'Idempotency-Key must be 1 to 255 visible ASCII characters', {
      field: 'Idempotency-Key',
    });
  }
  return key;
}

/**
 * One request running under an Idempotency-Key. Its work runs as one unit of work, and its answer is kept in
 * the same database transaction as its change: a retry finds both or neither, never a change without its
 * answer (which would run it twice) or an answer without its change. This is the one place that decides
 * what is kept: a success (2xx) with its body sealed (answers may carry secrets: a token's, a webhook's);
 * anything else undoes the change and forgets the key, so a retry runs again.
 */
export class IdempotentRequest {
  private readonly unit: UnitOfWork;
  private isFinished = false;

  constructor(
    private readonly deps: { store: Store; secretBox: SecretBox },
    private readonly claim: { scope: string; key: string; claimedAt: Date },
  ) {
    this.unit = deps.store.unitOfWork();
  }

  run<T>(work: () => Promise<T>): Promise<T> {
    return this.unit.run(work);
  }

  /**
   * Ends the request with its answer; `body` undefined means an answer that cannot be kept (not text). Throws
   * when keeping it failed: then nothing of the request was kept and its answer must not be sent.
   */
  async finish(answer: { statusCode: number; body: string | null | undefined }): Promise<void> {
    if (this.isFinished) return;
    this.isFinished = true;
    const { scope, key, claimedAt } = this.claim;
    const isSuccess = answer.statusCode >= 200 && answer.statusCode < 300;
    if (!isSuccess) {
      await this.unit.rollback();
      await this.deps.store.idempotency.release(scope, key, claimedAt);
      return;
    }
    const { body } = answer;
    if (body === undefined) {
      // Nothing to replay; the change stands, and a retry with this key runs again.
      await this.unit.commit((tx) => tx.idempotency.release(scope, key, claimedAt));
      return;
    }
    try {
      await this.unit.commit(async (tx) => {
        const sealed = this.deps.secretBox.seal(body ?? '');
        const isKept = await tx.idempotency.complete(scope, key, claimedAt, {
          statusCode: answer.statusCode,
          responseBody: sealed,
        });
        // Taken over as abandoned by a retry meanwhile: that retry answers, this request must not change.
        if (!isKept) {
          throw new DomainError(
            'IDEMPOTENCY_CONFLICT',
            'a request with this Idempotency-Key is still running',
          );
        }
      });
    } catch (error) {
      await this.deps.store.idempotency.release(scope, key, claimedAt).catch(() => {});
      throw error;
    }
  }

  /** The request ended without an answer (it was aborted): nothing of it is kept. */
  async abandon(): Promise<void> {
    if (this.isFinished) return;
    this.isFinished = true;
    await this.unit.rollback();
    await this.deps.store.idempotency.release(this.claim.scope, this.claim.key, this.claim.claimedAt);
  }
}

/** Idempotency-Key for the native API's writes: claims, replays and conflicts. */
export class IdempotencyService {
  constructor(private readonly deps: { store: Store; clock: Clock; secretBox: SecretBox }) {}

  /**
   * Claims `key` for a request of `scope` (who is asking, and which route), or answers with what the first
   * request with this key answered. The same key with a different request, or while the first one still
   * runs, is refused as IDEMPOTENCY_CONFLICT.
   */
  async start(input: { scope: string; key: string; request: unknown }): Promise<IdempotencyStart> {
    const { store, clock } = this.deps;
    const { scope, key } = input;
    const requestHash = createHash('sha256').update(JSON.stringify(input.request)).digest('hex');
    const now = clock.now();
    let existing = await store.idempotency.claim(scope, key, requestHash, now);
    if (existing && this.isStale(existing, now)) {
      await store.idempotency.release(scope, key, existing.createdAt);
      existing = await store.idempotency.claim(scope, key, requestHash, now);
    }
    if (existing === null) {
      return {
        kind: 'run',
        request: new IdempotentRequest(this.deps, { scope, key, claimedAt: now }),
      };
    }
    if (existing.requestHash !== requestHash) {
      throw new DomainError('IDEMPOTENCY_CONFLICT', 'this Idempotency-Key was used for a different request');
    }
    if (existing.statusCode === null || existing.responseBody === null) {
      throw new DomainError('IDEMPOTENCY_CONFLICT', 'a request with this Idempotency-Key is still running');
    }
    // Answers kept before they were sealed are plain JSON, which never starts like a sealed text.
    const stored = existing.responseBody;
    const body = stored.startsWith('v1.') ? this.deps.secretBox.open(stored) : stored;
    return { kind: 'replay', answer: { statusCode: existing.statusCode, body: body === '' ? null : body } };
  }

  /** Deletes answers no retry can ask for any more; returns how many. */
  sweepExpired(): Promise<number> {
    const before = new Date(this.deps.clock.now().getTime() - IDEMPOTENCY_TTL_SECONDS * 1000);
    return this.deps.store.idempotency.deleteOlderThan(before);
  }

  private isStale(record: IdempotencyRecord, now: Date): boolean {
    const ageSeconds = (now.getTime() - record.createdAt.getTime()) / 1000;
    return (
      ageSeconds > IDEMPOTENCY_TTL_SECONDS ||
      (record.statusCode === null && ageSeconds > ABANDONED_AFTER_SECONDS)
    );
  }
}
