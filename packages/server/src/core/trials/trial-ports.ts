import type { Paged } from '../paged.js';
import type { TrialExtension, VerifiedTrial } from './trial-model.js';

/** Trials before a license is bought: verified trials per machine and the codes that lengthen them. */

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

/** The repositories above, as `Repositories` holds them. */
export interface TrialRepositories {
  verifiedTrials: VerifiedTrialRepository;
  trialExtensions: TrialExtensionRepository;
}
