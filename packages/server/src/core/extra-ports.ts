import type { License } from './model.js';
import type { FeatureFieldDetails, PolicyProfile, TrialExtension, VerifiedTrial } from './trial-model.js';

/**
 * Repository ports of the concepts added for the LimeLM dialect but owned by core: token limits, policy
 * profiles, verified trials, trial extensions, feature field details and license search. Part of
 * `Repositories` (ports.ts), so services reach them inside transactions like every other repository.
 */

export interface TokenLimitChanges {
  maxClientAddresses?: number | null;
  activationAllowance?: number | null;
  isDormant?: boolean;
}

export interface TokenLimitRepository {
  /** Locks the token's row until the transaction ends (PostgreSQL; SQLite write transactions serialize). */
  lock(tokenId: number): Promise<void>;
  hasAddress(tokenId: number, ip: string): Promise<boolean>;
  countAddresses(tokenId: number): Promise<number>;
  addAddress(tokenId: number, ip: string, at: Date): Promise<void>;
  /** Forgets every address that used the token; returns how many there were. */
  clearAddresses(tokenId: number): Promise<number>;
  setLimits(tokenId: number, changes: TokenLimitChanges): Promise<void>;
  /**
   * Adds `count` to the activations the token granted in one conditional statement, so concurrent grants
   * never pass the allowance. False (and nothing changed) when they would; true for tokens without one.
   */
  grantActivations(tokenId: number, count: number): Promise<boolean>;
}

export interface PolicyProfileRepository {
  find(policyId: number): Promise<PolicyProfile | null>;
  upsert(profile: PolicyProfile): Promise<PolicyProfile>;
}

export interface Paged<T> {
  total: number;
  items: T[];
}

export interface VerifiedTrialRepository {
  /** Inserts the trial unless the machine already has one of the policy; returns the stored one. */
  insertIfMissing(input: Omit<VerifiedTrial, 'id'>): Promise<VerifiedTrial>;
  find(policyId: number, fingerprint: string): Promise<VerifiedTrial | null>;
  update(id: number, changes: Pick<VerifiedTrial, 'expiresAt' | 'extensionCount'>): Promise<VerifiedTrial>;
  /** Oldest first. `policyIds` null means every policy. */
  search(
    filter: { policyIds: number[] | null; startedFrom?: Date | undefined; startedBefore?: Date | undefined },
    page: { offset: number; limit: number },
  ): Promise<Paged<VerifiedTrial>>;
}

export interface TrialExtensionRepository {
  insert(input: Omit<TrialExtension, 'id'>): Promise<TrialExtension>;
  findById(id: number): Promise<TrialExtension | null>;
  findByCode(code: string): Promise<TrialExtension | null>;
  /** Oldest first; `customerRef` undefined lists every extension of the policy. */
  list(filter: { policyId: number; customerRef?: string | undefined }): Promise<TrialExtension[]>;
  delete(id: number): Promise<boolean>;
  /** Counts one use in one conditional statement; false when the code is used up. */
  countUse(id: number): Promise<boolean>;
  /** Records that a machine redeemed the code; false when it already had. */
  addRedemption(id: number, fingerprint: string, at: Date): Promise<boolean>;
}

export interface FeatureFieldDetailsRepository {
  /** Locks the policy's row until the transaction ends, so concurrent field changes do not overwrite each other. */
  lockPolicy(policyId: number): Promise<void>;
  listByPolicy(policyId: number): Promise<FeatureFieldDetails[]>;
  findById(id: number): Promise<FeatureFieldDetails | null>;
  insert(input: Omit<FeatureFieldDetails, 'id'>): Promise<FeatureFieldDetails>;
  update(
    id: number,
    changes: Partial<Omit<FeatureFieldDetails, 'id' | 'policyId'>>,
  ): Promise<FeatureFieldDetails>;
  delete(id: number): Promise<boolean>;
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

/** The repositories above, as `Repositories` holds them. */
export interface ExtraRepositories {
  tokenLimits: TokenLimitRepository;
  policyProfiles: PolicyProfileRepository;
  verifiedTrials: VerifiedTrialRepository;
  trialExtensions: TrialExtensionRepository;
  featureFieldDetails: FeatureFieldDetailsRepository;
  licenseSearch: LicenseSearchRepository;
}
