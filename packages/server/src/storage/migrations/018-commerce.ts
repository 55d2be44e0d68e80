import type { Kysely } from 'kysely';
import type { DatabaseAdapter } from '../database-adapter.js';

/**
 * Payments: connections to payment providers with their item → policy mappings, every webhook event a
 * connection received (unique per provider event id: the same event twice is one row), and the purchases the
 * events made licenses from, findable by order, subscription and every payment id. Deleting a connection
 * deletes its events and purchases; a license's deletion removes it from its purchase.
 */
export async function up(db: Kysely<unknown>, adapter: DatabaseAdapter): Promise<void> {
  await adapter
    .addAutoIncrementId(db.schema.createTable('payment_connections'))
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('refund_action', 'text', (c) => c.notNull())
    // Null until the vendor pastes the signing secret: the provider shows it only after the endpoint is
    // created at the connection's URL, which exists only once the connection does.
    .addColumn('sealed_webhook_secret', 'text')
    .addColumn('webhook_secret_hint', 'text')
    .addColumn('sealed_api_key', 'text')
    .addColumn('api_key_hint', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('payment_item_mappings')
    .addColumn('connection_id', 'integer', (c) =>
      c.notNull().references('payment_connections.id').onDelete('cascade'),
    )
    .addColumn('provider_item_id', 'text', (c) => c.notNull())
    // No foreign key: a purchase of an item mapped to a deleted policy fails visibly (and is retried once the
    // vendor fixes the mapping) instead of the mapping vanishing and the purchase being ignored.
    .addColumn('policy_id', 'integer', (c) => c.notNull())
    .addColumn('seats_per_unit', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('payment_item_mappings_pk', ['connection_id', 'provider_item_id'])
    .execute();

  await adapter
    .addAutoIncrementId(db.schema.createTable('payment_events'), { big: true })
    .addColumn('connection_id', 'integer', (c) =>
      c.notNull().references('payment_connections.id').onDelete('cascade'),
    )
    .addColumn('provider_event_id', 'text', (c) => c.notNull())
    .addColumn('provider_event_type', 'text', (c) => c.notNull())
    .addColumn('change', 'text')
    .addColumn('occurred_at', 'bigint', (c) => c.notNull())
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text')
    .addColumn('error', 'text')
    .addColumn('license_ids', 'text', (c) => c.notNull())
    .addColumn('purchase', 'text')
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('is_payload_truncated', 'integer', (c) => c.notNull())
    .addColumn('handled_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('payment_events_provider_id')
    .on('payment_events')
    .columns(['connection_id', 'provider_event_id'])
    .unique()
    .execute();
  // The dashboard pages a connection's events newest first; waiting events are read by status.
  await db.schema
    .createIndex('payment_events_connection')
    .on('payment_events')
    .columns(['connection_id', 'id'])
    .execute();
  await db.schema
    .createIndex('payment_events_status')
    .on('payment_events')
    .columns(['connection_id', 'status'])
    .execute();

  await adapter
    .addAutoIncrementId(db.schema.createTable('purchases'))
    .addColumn('connection_id', 'integer', (c) =>
      c.notNull().references('payment_connections.id').onDelete('cascade'),
    )
    .addColumn('order_id', 'text')
    .addColumn('subscription_id', 'text')
    .addColumn('provider_customer_id', 'text')
    .addColumn('customer_id', 'integer', (c) => c.references('customers.id').onDelete('set null'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('period_ends_at', 'bigint')
    .addColumn('cancelled_at', 'bigint')
    .addColumn('renewed_at', 'bigint')
    .addColumn('changed_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('purchases_order')
    .on('purchases')
    .columns(['connection_id', 'order_id'])
    .execute();
  await db.schema
    .createIndex('purchases_subscription')
    .on('purchases')
    .columns(['connection_id', 'subscription_id'])
    .execute();
  await db.schema
    .createIndex('purchases_provider_customer')
    .on('purchases')
    .columns(['connection_id', 'provider_customer_id'])
    .execute();

  await db.schema
    .createTable('purchase_payments')
    .addColumn('purchase_id', 'integer', (c) => c.notNull().references('purchases.id').onDelete('cascade'))
    .addColumn('connection_id', 'integer', (c) => c.notNull())
    .addColumn('payment_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('purchase_payments_pk', ['connection_id', 'payment_id'])
    .execute();
  await db.schema
    .createIndex('purchase_payments_purchase')
    .on('purchase_payments')
    .columns(['purchase_id'])
    .execute();

  await db.schema
    .createTable('purchase_licenses')
    .addColumn('purchase_id', 'integer', (c) => c.notNull().references('purchases.id').onDelete('cascade'))
    .addColumn('license_id', 'integer', (c) => c.notNull().references('licenses.id').onDelete('cascade'))
    .addColumn('provider_item_id', 'text', (c) => c.notNull())
    .addColumn('quantity', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('purchase_licenses_pk', ['purchase_id', 'license_id'])
    .execute();
  await db.schema
    .createIndex('purchase_licenses_license')
    .on('purchase_licenses')
    .columns(['license_id'])
    .execute();
}
