import type { Generated } from 'kysely';
import type { Flag, Millis } from './column-types.js';

/** Verified trials and the extensions that lengthen them (migration 003). */

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

export interface TrialTables {
  trials: TrialsTable;
  trial_extensions: TrialExtensionsTable;
  trial_extension_redemptions: TrialExtensionRedemptionsTable;
}
