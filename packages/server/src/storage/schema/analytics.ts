import type { Generated } from 'kysely';
import type { Millis } from './column-types.js';

/** Feature-usage analytics that apps report (migration 015). */

export interface AnalyticsEventsTable {
  id: Generated<number>;
  product_id: number | null;
  license_id: number | null;
  machine_code: string | null;
  feature_name: string | null;
  event_name: string | null;
  value: number;
  currency: string | null;
  metadata: string | null;
  ip: string | null;
  token_id: number | null;
  created_at: Millis;
}

export interface AnalyticsTables {
  analytics_events: AnalyticsEventsTable;
}
