import type { Generated } from 'kysely';
import type { Flag, Millis } from './column-types.js';

/**
 * The audit log of events and what is told about them: webhook endpoints, the outbox of deliveries and every
 * attempt (migration 007), and the expiry notices already emitted.
 */

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

export interface WebhookEndpointsTable {
  id: Generated<number>;
  url: string;
  description: string | null;
  /** JSON array of event types or patterns (`*`, `license.*`). */
  event_types: string;
  /** JSON array; empty means every product. */
  product_ids: string;
  is_enabled: Flag;
  /** Hears each record an import writes; otherwise only the import's summary. */
  include_import_records: Generated<Flag>;
  sealed_secret: string;
  created_at: Millis;
  updated_at: Millis;
}

export interface WebhookDeliveriesTable {
  id: Generated<number>;
  endpoint_id: number;
  event_id: number;
  event_type: string;
  status: string;
  attempt_count: number;
  next_attempt_at: Millis;
  window_started_at: Millis;
  lease_owner: string | null;
  lease_until: Millis | null;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: Millis | null;
  created_at: Millis;
}

export interface WebhookAttemptsTable {
  id: Generated<number>;
  delivery_id: number;
  attempted_at: Millis;
  status_code: number | null;
  error: string | null;
  response_excerpt: string | null;
  duration_ms: number;
}

export interface ExpiryNoticesTable {
  license_id: number;
  kind: string;
  expires_at: Millis;
  created_at: Millis;
}

export interface EventTables {
  events: EventsTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  expiry_notices: ExpiryNoticesTable;
}
