import type { Generated } from 'kysely';
import type { Flag, Millis } from './column-types.js';

/** What is sold and on which terms: products, their policies and what each policy adds to its keys. */

export interface ProductsTable {
  id: Generated<number>;
  name: string;
  code: string | null;
  created_at: Millis;
}

export interface PoliciesTable {
  id: Generated<number>;
  product_id: number;
  name: string;
  max_machines: number;
  max_deactivations: number;
  is_floating: Flag;
  lease_seconds: number;
  max_overdraft: number;
  allow_vm: Flag;
  duration_seconds: number | null;
  expiration_basis: string;
  activation_validity_seconds: number | null;
  is_trial: Flag;
  allow_license_auth: Flag;
  key_format: string;
  feature_fields: string;
  created_at: Millis;
}

/** The policy each product keeps per kind of key issued without naming one (migration 004). */
export interface ManagedPoliciesTable {
  product_id: number;
  purpose: string;
  policy_id: number;
}

/** What a policy's app shows about trials and buying: trial length, where-is-my-key text, buy link (migration 003). */
export interface PolicyProfilesTable {
  policy_id: number;
  trial_seconds: number;
  where_is_key: string | null;
  buy_url: string | null;
}

/** Feature fields of a policy with stable ids and descriptions (migration 003). */
export interface FeatureFieldDetailsTable {
  id: Generated<number>;
  policy_id: number;
  name: string;
  description: string | null;
  is_app_readable: Flag;
  relative_default: string | null;
}

/** Presets for new keys (migration 002). */
export interface LicenseTemplatesTable {
  id: Generated<number>;
  name: string;
  policy_id: number;
  duration_seconds: number | null;
  max_machines: number | null;
  features: string;
  notes: string | null;
  allowed_machines: string;
  has_trial_activation: Flag;
  created_at: Millis;
}

export interface CatalogTables {
  products: ProductsTable;
  policies: PoliciesTable;
  managed_policies: ManagedPoliciesTable;
  policy_profiles: PolicyProfilesTable;
  feature_field_details: FeatureFieldDetailsTable;
  license_templates: LicenseTemplatesTable;
}
