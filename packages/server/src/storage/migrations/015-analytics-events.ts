import type { Kysely } from 'kysely';
import type { DatabaseAdapter } from '../database-adapter.js';

/**
 * Feature-usage analytics that apps report (Cryptolens' ai/RegisterEvent), apart from the audit log. An event
 * goes with its product and keeps itself when its license is deleted (it then names none).
 */
export async function up(db: Kysely<unknown>, adapter: DatabaseAdapter): Promise<void> {
  await adapter
    .addAutoIncrementId(db.schema.createTable('analytics_events'), { big: true })
    .addColumn('product_id', 'integer', (c) => c.references('products.id').onDelete('cascade'))
    .addColumn('license_id', 'integer', (c) => c.references('licenses.id').onDelete('set null'))
    .addColumn('machine_code', 'text')
    .addColumn('feature_name', 'text')
    .addColumn('event_name', 'text')
    .addColumn('value', 'bigint', (c) => c.notNull())
    .addColumn('currency', 'text')
    .addColumn('metadata', 'text')
    .addColumn('ip', 'text')
    .addColumn('token_id', 'integer')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  // Readers ask for a product's or a license's events, newest first.
  await db.schema
    .createIndex('analytics_events_product')
    .on('analytics_events')
    .columns(['product_id', 'id'])
    .execute();
  await db.schema
    .createIndex('analytics_events_license')
    .on('analytics_events')
    .columns(['license_id', 'id'])
    .execute();
}
