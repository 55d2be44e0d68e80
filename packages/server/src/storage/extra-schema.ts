import type { Generated } from 'kysely';

/** Tables of migration 003 (token limits, policy profiles, verified trials, trial extensions, field details). */

type Millis = number;
type Flag = number;

export interface ApiTokenAddressesTable {
  token_id: number;
  ip: string;
  first_seen_at: Millis;
}

export interface PolicyProfilesTable {
  policy_id: number;
  trial_seconds: number;
  where_is_key: string | null;
  buy_url: string | null;
}

export interface FeatureFieldDetailsTable {
  id: Generated<number>;
  policy_id: number;
  name: string;
  description: string | null;
  is_app_readable: Flag;
  relative_default: string | null;
}

export interface TrialsTable {
  id: Generated<number>;
  policy_id: number;
  fingerprint: string;
  ip: string | null;
  platform: string | null;
  is_vm: Flag;
  started_at: Millis;
  expires_at: Millis;
  extension_count: number;
}

export interface TrialExtensionsTable {
  id: Generated<number>;
  policy_id: number;
  code: string;
  is_online: Flag;
  is_for_verified_trials: Flag;
  length_seconds: number;
  redeemable_until: Millis;
  customer_ref: string | null;
  max_uses: number;
  use_count: number;
  created_at: Millis;
}

export interface TrialExtensionRedemptionsTable {
  extension_id: number;
  fingerprint: string;
  redeemed_at: Millis;
}

export interface ExtraTables {
  api_token_addresses: ApiTokenAddressesTable;
  policy_profiles: PolicyProfilesTable;
  feature_field_details: FeatureFieldDetailsTable;
  trials: TrialsTable;
  trial_extensions: TrialExtensionsTable;
  trial_extension_redemptions: TrialExtensionRedemptionsTable;
}
