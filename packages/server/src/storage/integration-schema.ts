import type { Generated } from 'kysely';

/** Tables of migrations 007 (webhooks, expiry notices) and 008 (imports). */

type Millis = number;
type Flag = number;

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

export interface ImportJobsTable {
  id: Generated<number>;
  kind: string;
  source: string;
  status: string;
  options: string;
  sealed_credential: string | null;
  checkpoint: string | null;
  counts: string;
  progress_done: number;
  progress_total: number | null;
  error: string | null;
  lease_owner: string | null;
  lease_until: Millis | null;
  created_at: Millis;
  updated_at: Millis;
  finished_at: Millis | null;
  /** The failed or interrupted job this one was started in place of (its input had changed). */
  replaces_job_id: number | null;
  /** Set once a rerun with changed input replaced this job: it is never continued. */
  replaced_by_job_id: number | null;
}

export interface ImportLinksTable {
  source: string;
  entity: string;
  external_id: string;
  local_id: number;
  created_at: Millis;
}

export interface IntegrationTables {
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  expiry_notices: ExpiryNoticesTable;
  import_jobs: ImportJobsTable;
  import_links: ImportLinksTable;
}
