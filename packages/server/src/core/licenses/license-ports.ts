import type { License, Machine, Policy } from '../model.js';
import type { Paged } from '../paged.js';
import type { LicenseStatus } from './license-status.js';

/** Licenses: kept and read one by one with their seats, searched, and swept once cleanable and due. */

export type NewLicense = Omit<License, 'id'>;
export interface LicenseFilter {
  productId?: number | undefined;
  policyId?: number | undefined;
  customerId?: number | undefined;
  email?: string | undefined;
  tag?: string | undefined;
  /**
   * Keys containing this fragment, ignoring case, dashes and spaces; a fragment of one or two characters
   * matches the beginning of keys (core/licenses/key-search.ts).
   */
  key?: string | undefined;
  /** Licenses whose status (core/licenses/license-status.ts) is this one at the instant of the read. */
  status?: LicenseStatus | undefined;
}

/** A license with what decides its seats: its policy and its active (not deactivated) machines, oldest first. */
export interface LicenseWithSeats {
  license: License;
  policy: Policy | null;
  machines: Machine[];
}

export interface LicenseRepository {
  insert(input: NewLicense): Promise<License>;
  findById(id: number): Promise<License | null>;
  findByKey(key: string): Promise<License | null>;
  /** Licenses whose key has this search form (core/licenses/key-search.ts), lowest id first. */
  listBySearchForm(form: string, limit: number): Promise<License[]>;
  /** The license a key names with its policy and active machines (what validation reads), in one round trip. */
  findWithSeats(key: string): Promise<LicenseWithSeats | null>;
  /**
   * The license with its policy and active machines, without a lock, in one round trip: what an optimistic
   * activation decides on (core/machines/optimistic-activation.ts) before a write that checks the license is
   * still as read. The twin of lockWithSeats.
   */
  findWithSeatsById(id: number): Promise<LicenseWithSeats | null>;
  /** Reads the license and, on PostgreSQL, locks its row until the transaction ends (SQLite locks the file). */
  lockById(id: number): Promise<License | null>;
  /** lockById with the policy and the active machines, in one round trip: what deciding a seat reads. */
  lockWithSeats(id: number): Promise<LicenseWithSeats | null>;
  /** Newest first unless `order` is `asc`; `after` continues in the same order. */
  list(
    filter: LicenseFilter,
    input: { after: number | null; limit: number; now: Date; order?: 'asc' | 'desc' },
  ): Promise<License[]>;
  /** How many licenses match, counting no further than `max` + 1: more than `max` is all a caller learns. */
  countUpTo(filter: LicenseFilter, input: { now: Date; max: number }): Promise<number>;
  update(id: number, changes: Partial<Omit<License, 'id' | 'createdAt'>>): Promise<License>;
  delete(id: number): Promise<boolean>;
  /**
   * Bookkeeping after validations, batched off the response path: sets `lastValidatedAt` to `at` on those of
   * the licenses whose time is null or before `renewedIfBefore`.
   */
  touchValidated(ids: number[], at: Date, renewedIfBefore: Date): Promise<void>;
  /** The per-machine trial key of a product, if one was issued to this fingerprint. */
  findTrial(productId: number, fingerprint: string): Promise<License | null>;
}

export interface LicenseSearchCriteria {
  policyId?: number | undefined;
  productId?: number | undefined;
  /** Only licenses unlocking one of these products (a product-locked token); undefined = any product. */
  anyOfProductIds?: number[] | undefined;
  licenseId?: number | undefined;
  /** Case-insensitive; `*` stands for any run of characters. */
  emailPattern?: string | undefined;
  /** Licenses carrying a tag that matches any of these (case-insensitive, `*` wildcard). */
  tagPatterns?: string[] | undefined;
  createdFrom?: Date | undefined;
  createdBefore?: Date | undefined;
}

export interface LicenseSearchRepository {
  /** Oldest first, with the number of all matches. */
  search(criteria: LicenseSearchCriteria, page: { offset: number; limit: number }): Promise<Paged<License>>;
}

export interface CleanableSweep {
  /** Licenses that have expired at or before this instant are due. */
  now: Date;
  /** Licenses without an expiry are due once they are this old. */
  undatedGraceSeconds: number;
  /** At most this many per call, so one transaction stays short. */
  limit: number;
}

export interface LicenseCleanupRepository {
  /**
   * Deletes due cleanable licenses with their machines and data objects, all in the caller's transaction.
   * Rows another transaction is sweeping are skipped (PostgreSQL `SKIP LOCKED`; SQLite writers serialize) and
   * the delete re-checks the condition, so a license is deleted once, wholly, and only while still due.
   */
  deleteDueCleanable(sweep: CleanableSweep): Promise<Array<{ licenseId: number; productId: number }>>;
}

/** The repositories above, as `Repositories` holds them. */
export interface LicenseRepositories {
  licenses: LicenseRepository;
  licenseSearch: LicenseSearchRepository;
  licenseCleanup: LicenseCleanupRepository;
}
