import type { Generated } from 'kysely';
import type { Millis } from './column-types.js';

/** The email outbox (migration 017), settings and templates (migration 019). */

export interface EmailMessagesTable {
  id: Generated<number>;
  kind: string;
  to_address: string;
  product_id: number | null;
  license_id: number | null;
  customer_id: number | null;
  /** JSON object of strings. */
  variables: string;
  sealed_secrets: string | null;
  status: string;
  attempt_count: number;
  next_attempt_at: Millis;
  last_error: string | null;
  subject: string | null;
  sent_at: Millis | null;
  created_at: Millis;
  /** Migration 019: the dispatcher holding it, until when. */
  lease_owner: string | null;
  lease_until: Millis | null;
  /** Migration 019; null: created_at. */
  window_started_at: Millis | null;
}

/** Migration 019: one row (id 1). */
export interface EmailSettingsTable {
  id: number;
  smtp_host: string;
  smtp_port: number;
  smtp_security: string;
  smtp_username: string | null;
  sealed_password: string | null;
  from_name: string;
  from_address: string;
  reply_to: string | null;
  /** JSON array of kinds. */
  enabled_kinds: string;
  updated_at: Millis;
}

/** Migration 019: unique per (product, kind), and per kind among the account's defaults (product null). */
export interface EmailTemplatesTable {
  id: Generated<number>;
  product_id: number | null;
  kind: string;
  from_name: string | null;
  from_address: string | null;
  subject: string;
  text_body: string;
  html_body: string;
  updated_at: Millis;
}

export interface EmailTables {
  email_messages: EmailMessagesTable;
  email_settings: EmailSettingsTable;
  email_templates: EmailTemplatesTable;
}
