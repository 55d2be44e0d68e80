import type { Generated } from 'kysely';
import type { Millis } from './column-types.js';

/** The email outbox (migration 017). */

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
}

export interface EmailTables {
  email_messages: EmailMessagesTable;
}
