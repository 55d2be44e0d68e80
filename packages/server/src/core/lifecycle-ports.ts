/**
 * Repository ports for keys issued without naming a policy (the policy each product keeps per purpose,
 * created on first use) and for the sweeper that deletes cleanable licenses. Part of `Repositories`
 * (ports.ts), so services reach them inside transactions like every other repository.
 */

export interface ManagedPolicyRepository {
  /** The policy a product keeps for a purpose, or null when none was made yet. */
  find(productId: number, purpose: string): Promise<number | null>;
  /**
   * Records the policy for the product and purpose. False (nothing stored) when one is recorded already; on
   * PostgreSQL a concurrent claim waits for the other transaction and then answers false.
   */
  claim(productId: number, purpose: string, policyId: number): Promise<boolean>;
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
export interface LifecycleRepositories {
  managedPolicies: ManagedPolicyRepository;
  licenseCleanup: LicenseCleanupRepository;
}
