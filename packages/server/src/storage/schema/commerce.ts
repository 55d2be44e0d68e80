import type { Generated } from 'kysely';
import type { Flag, Millis } from './column-types.js';

/** Payment connections, their events and purchases (migration 018). */

export interface PaymentConnectionsTable {
  id: Generated<number>;
  provider: string;
  name: string;
  refund_action: string;
  /** Null until the vendor sets it (the provider shows it only once the endpoint exists). */
  sealed_webhook_secret: string | null;
  webhook_secret_hint: string | null;
  sealed_api_key: string | null;
  api_key_hint: string | null;
  created_at: Millis;
  updated_at: Millis;
}

export interface PaymentItemMappingsTable {
  connection_id: number;
  provider_item_id: string;
  /** No foreign key: a mapping to a deleted policy fails its purchases visibly instead of vanishing. */
  policy_id: number;
  seats_per_unit: number;
}

export interface PaymentEventsTable {
  id: Generated<number>;
  connection_id: number;
  provider_event_id: string;
  provider_event_type: string;
  change: string | null;
  occurred_at: Millis;
  received_at: Millis;
  status: string;
  outcome: string | null;
  error: string | null;
  /** JSON array of license ids. */
  license_ids: string;
  /** JSON of the translated PurchaseEvent (dates as ISO text), or null. */
  purchase: string | null;
  payload: string;
  is_payload_truncated: Flag;
  handled_at: Millis | null;
}

export interface PurchasesTable {
  id: Generated<number>;
  connection_id: number;
  order_id: string | null;
  subscription_id: string | null;
  provider_customer_id: string | null;
  customer_id: number | null;
  status: string;
  period_ends_at: Millis | null;
  cancelled_at: Millis | null;
  renewed_at: Millis | null;
  changed_at: Millis | null;
  created_at: Millis;
  updated_at: Millis;
}

export interface PurchasePaymentsTable {
  purchase_id: number;
  connection_id: number;
  payment_id: string;
}

export interface PurchaseLicensesTable {
  purchase_id: number;
  license_id: number;
  provider_item_id: string;
  quantity: number;
}

export interface CommerceTables {
  payment_connections: PaymentConnectionsTable;
  payment_item_mappings: PaymentItemMappingsTable;
  payment_events: PaymentEventsTable;
  purchases: PurchasesTable;
  purchase_payments: PurchasePaymentsTable;
  purchase_licenses: PurchaseLicensesTable;
}
