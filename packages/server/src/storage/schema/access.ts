import type { Generated } from 'kysely';
import type { Flag, Millis } from './column-types.js';

/** Tokens and what they may do, the keys that sign offline answers, and requests answered once. */

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

/** The client addresses a token with an address limit has been used from (migration 003). */
export interface ApiTokenAddressesTable {
  token_id: number;
  ip: string;
  first_seen_at: Millis;
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

export interface AccessTables {
  api_tokens: ApiTokensTable;
  api_token_addresses: ApiTokenAddressesTable;
  signing_keys: SigningKeysTable;
  idempotency_keys: IdempotencyKeysTable;
}
