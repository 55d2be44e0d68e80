import { type Kysely, sql } from 'kysely';
import type { DatabaseAdapter } from '../database-adapter.js';

/**
 * Email delivery: the SMTP settings (one row), the templates vendors edit (per product, or the account's default
 * when product_id is null), and the outbox's lease, so that of several server processes only one sends a message.
 */
export async function up(db: Kysely<unknown>, adapter: DatabaseAdapter): Promise<void> {
  await db.schema
    .createTable('email_settings')
    // Always 1: the server has one SMTP setup.
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('smtp_host', 'text', (c) => c.notNull())
    .addColumn('smtp_port', 'integer', (c) => c.notNull())
    .addColumn('smtp_security', 'text', (c) => c.notNull())
    .addColumn('smtp_username', 'text')
    .addColumn('sealed_password', 'text')
    .addColumn('from_name', 'text', (c) => c.notNull())
    .addColumn('from_address', 'text', (c) => c.notNull())
    .addColumn('reply_to', 'text')
    .addColumn('enabled_kinds', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await adapter
    .addAutoIncrementId(db.schema.createTable('email_templates'))
    .addColumn('product_id', 'integer', (c) => c.references('products.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('from_name', 'text')
    .addColumn('from_address', 'text')
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('text_body', 'text', (c) => c.notNull())
    .addColumn('html_body', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  // A unique index does not hold NULLs equal, so the account's defaults (no product) get one of their own.
  await sql`create unique index email_templates_product_kind on email_templates (product_id, kind) where product_id is not null`.execute(
    db,
  );
  await sql`create unique index email_templates_default_kind on email_templates (kind) where product_id is null`.execute(
    db,
  );
  await db.schema.alterTable('email_messages').addColumn('lease_owner', 'text').execute();
  await db.schema.alterTable('email_messages').addColumn('lease_until', 'bigint').execute();
  // Retries run for a day from here: the first due time, or a retry the vendor asked for.
  await db.schema.alterTable('email_messages').addColumn('window_started_at', 'bigint').execute();
}
