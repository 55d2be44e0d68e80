import type { Generated, GeneratedAlways } from 'kysely';
import type { Flag, Millis } from './column-types.js';

/** Licenses, the machines that hold their seats, and the data objects apps keep on either. */

export interface LicensesTable {
  id: Generated<number>;
  key: string;
  policy_id: number;
  product_id: number;
  /** JSON array of every product the key unlocks (the policy's first); license_products indexes it. */
  product_ids: string;
  customer_id: number | null;
  email: string | null;
  notes: string | null;
  alias: string | null;
  expires_at: Millis | null;
  first_activated_at: Millis | null;
  is_suspended: Flag;
  revoked_at: Millis | null;
  max_machines: number | null;
  max_deactivations: number | null;
  is_floating: Flag | null;
  lease_seconds: number | null;
  max_overdraft: number | null;
  allow_vm: Flag | null;
  is_cleanable: Flag;
  activation_count: number;
  deactivation_count: number;
  reset_count: number;
  features: string;
  /** JSON array; license_tags indexes it for filtering. */
  tags: string;
  allowed_machines: string;
  named_users: string;
  created_at: Millis;
  updated_at: Millis;
  last_validated_at: Millis | null;
  term_seconds: number | null;
  has_trial_activation: Generated<Flag>;
  trial_fingerprint: string | null;
  reseller_id: number | null;
  /** Calendar periods as `7 day` (migration 004). */
  activation_period: string | null;
  term_period: string | null;
  /** The key's search form (core/licenses/key-search.ts), computed by the database (migration 013). */
  key_search: GeneratedAlways<string>;
}

export interface LicenseProductsTable {
  license_id: number;
  product_id: number;
}

export interface LicenseTagsTable {
  license_id: number;
  tag: string;
}

export interface MachinesTable {
  id: Generated<number>;
  license_id: number;
  fingerprint: string;
  name: string | null;
  ip: string | null;
  platform: string | null;
  is_vm: Flag;
  username: string | null;
  created_at: Millis;
  last_seen_at: Millis;
  lease_expires_at: Millis | null;
  is_overdraft: Flag;
  expires_at: Millis | null;
  deactivated_at: Millis | null;
}

export interface DataObjectsTable {
  id: Generated<number>;
  owner_type: string;
  owner_id: number;
  name: string;
  int_value: number;
  string_value: string;
}

export interface LicenseTables {
  licenses: LicensesTable;
  license_products: LicenseProductsTable;
  license_tags: LicenseTagsTable;
  machines: MachinesTable;
  data_objects: DataObjectsTable;
}
