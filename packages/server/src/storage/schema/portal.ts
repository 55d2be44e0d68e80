import type { Generated } from 'kysely';
import type { Flag, Millis } from './column-types.js';

/** The customer portal (migration 020). */

/** One row (id 1) once the vendor saved the settings. */
export interface PortalSettingsTable {
  id: number;
  is_enabled: Flag;
  display_name: string;
  primary_color: string;
  accent_color: string;
  logo_data_url: string | null;
  allow_deactivation: Flag;
  allow_license_file: Flag;
  allow_offline_activation: Flag;
  updated_at: Millis;
}

export interface PortalSignInLinksTable {
  id: Generated<number>;
  token_hash: string;
  email: string;
  expires_at: Millis;
  used_at: Millis | null;
  created_at: Millis;
  requester_ip: string | null;
}

export interface PortalSessionsTable {
  id: Generated<number>;
  token_hash: string;
  email: string;
  created_at: Millis;
  expires_at: Millis;
  last_seen_at: Millis;
}

export interface PortalTables {
  portal_settings: PortalSettingsTable;
  portal_sign_in_links: PortalSignInLinksTable;
  portal_sessions: PortalSessionsTable;
}
