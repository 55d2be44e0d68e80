import type { Generated, GeneratedAlways } from 'kysely';
import type { AnalyticsTables } from './analytics-schema.js';
import type { DashboardTables } from './dashboard-schema.js';
import type { ExtraTables } from './extra-schema.js';
import type { IntegrationTables } from './integration-schema.js';
import type { LifecycleTables } from './lifecycle-schema.js';

/**
 * Table types shared by both databases. Instants are integer milliseconds since the epoch and booleans are
 * 0/1 integers on both, so one mapping serves SQLite and PostgreSQL; lists and maps are JSON text.
 */
type Millis = number;
type Flag = number;

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

export interface CustomersTable {
  id: Generated<number>;
  name: string;
  email: string | null;
  company: string | null;
  created_at: Millis;
  notes: string | null;
  secret_hash: string | null;
}

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
  /** The key's search form (core/key-search.ts), computed by the database (migration 013). */
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

export interface EventsTable {
  id: Generated<number>;
  type: string;
  license_id: number | null;
  product_id: number | null;
  machine_id: number | null;
  token_id: number | null;
  code: string | null;
  ip: string | null;
  data: string;
  created_at: Millis;
}

export interface ApiTokensTable {
  id: Generated<number>;
  name: string;
  prefix: string;
  secret_hash: string;
  scopes: string;
  product_ids: string;
  license_id: number | null;
  ip_allowlist: string;
  bind_to_first_ip: Flag;
  bound_ip: string | null;
  source: string;
  expires_at: Millis | null;
  revoked_at: Millis | null;
  created_at: Millis;
  last_used_at: Millis | null;
  /** JSON array of lower-case dialect method names, or null for every method. */
  method_lock: string | null;
  feature_lock: number | null;
  can_issue_license_tokens: Generated<Flag>;
  max_client_addresses: number | null;
  activation_allowance: number | null;
  activations_granted: Generated<number>;
  is_dormant: Generated<Flag>;
  issued_by_token_id: number | null;
}

export interface SigningKeysTable {
  id: Generated<number>;
  algorithm: string;
  public_key_pem: string;
  sealed_private_key: string;
  created_at: Millis;
}

export interface IdempotencyKeysTable {
  scope: string;
  key: string;
  request_hash: string;
  status_code: number | null;
  response_body: string | null;
  created_at: Millis;
}

export interface ResellersTable {
  id: Generated<number>;
  name: string;
  url: string | null;
  email: string | null;
  phone: string | null;
  description: string | null;
  created_at: Millis;
}

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

export interface MessagesTable {
  id: Generated<number>;
  channel: string;
  content: string;
  created_at: Millis;
}

export interface Database
  extends ExtraTables,
    LifecycleTables,
    IntegrationTables,
    DashboardTables,
    AnalyticsTables {
  products: ProductsTable;
  policies: PoliciesTable;
  customers: CustomersTable;
  licenses: LicensesTable;
  license_products: LicenseProductsTable;
  license_tags: LicenseTagsTable;
  machines: MachinesTable;
  data_objects: DataObjectsTable;
  events: EventsTable;
  api_tokens: ApiTokensTable;
  signing_keys: SigningKeysTable;
  idempotency_keys: IdempotencyKeysTable;
  resellers: ResellersTable;
  license_templates: LicenseTemplatesTable;
  messages: MessagesTable;
}
