import type { Policy, Product } from '../model.js';
import type { FeatureFieldDetails, PolicyProfile } from '../trials/trial-model.js';

/**
 * The catalog: products, their policies and what is kept about a policy besides its rules (its profile, its
 * feature fields' details, the policy a product keeps per purpose for keys issued without naming one).
 */

export interface ProductRepository {
  insert(input: { name: string; code: string | null; createdAt: Date }): Promise<Product>;
  findById(id: number): Promise<Product | null>;
  list(input: { after: number | null; limit: number }): Promise<Product[]>;
  update(id: number, changes: Partial<Pick<Product, 'name' | 'code'>>): Promise<Product | null>;
  delete(id: number): Promise<boolean>;
}

export type NewPolicy = Omit<Policy, 'id'>;
export interface PolicyRepository {
  insert(input: NewPolicy): Promise<Policy>;
  findById(id: number): Promise<Policy | null>;
  list(input: { productId: number | null; after: number | null; limit: number }): Promise<Policy[]>;
  update(
    id: number,
    changes: Partial<Omit<Policy, 'id' | 'productId' | 'createdAt'>>,
  ): Promise<Policy | null>;
  delete(id: number): Promise<boolean>;
  countLicenses(id: number): Promise<number>;
}

export interface PolicyProfileRepository {
  find(policyId: number): Promise<PolicyProfile | null>;
  upsert(profile: PolicyProfile): Promise<PolicyProfile>;
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

export interface ManagedPolicyRepository {
  /** The policy a product keeps for a purpose, or null when none was made yet. */
  find(productId: number, purpose: string): Promise<number | null>;
  /**
   * Records the policy for the product and purpose. False (nothing stored) when one is recorded already; on
   * PostgreSQL a concurrent claim waits for the other transaction and then answers false.
   */
  claim(productId: number, purpose: string, policyId: number): Promise<boolean>;
}

/** The repositories above, as `Repositories` holds them. */
export interface CatalogRepositories {
  products: ProductRepository;
  policies: PolicyRepository;
  policyProfiles: PolicyProfileRepository;
  featureFieldDetails: FeatureFieldDetailsRepository;
  managedPolicies: ManagedPolicyRepository;
}
