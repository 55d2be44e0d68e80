import { type Kysely, sql } from 'kysely';
import type { DatabaseAdapter } from '../database-adapter.js';

/**
 * The customer portal: its settings (one row), the one-time sign-in links it mails and the sessions they open.
 * Links and sessions hold only hashes of their secrets.
 */
export async function up(db: Kysely<unknown>, adapter: DatabaseAdapter): Promise<void> {
  await db.schema
    .createTable('portal_settings')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('is_enabled', 'integer', (c) => c.notNull())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('primary_color', 'text', (c) => c.notNull())
    .addColumn('accent_color', 'text', (c) => c.notNull())
    .addColumn('logo_data_url', 'text')
    .addColumn('allow_deactivation', 'integer', (c) => c.notNull())
    .addColumn('allow_license_file', 'integer', (c) => c.notNull())
    .addColumn('allow_offline_activation', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await adapter
    .addAutoIncrementId(db.schema.createTable('portal_sign_in_links'), { big: true })
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('requester_ip', 'text')
    .execute();
  await db.schema
    .createIndex('portal_sign_in_links_expires')
    .on('portal_sign_in_links')
    .column('expires_at')
    .execute();
  await adapter
    .addAutoIncrementId(db.schema.createTable('portal_sessions'), { big: true })
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('portal_sessions_expires').on('portal_sessions').column('expires_at').execute();
  // The portal finds a customer's licenses by address, ignoring case.
  await db.schema.createIndex('licenses_email_lower').on('licenses').expression(sql`lower(email)`).execute();
  await db.schema
    .createIndex('customers_email_lower')
    .on('customers')
    .expression(sql`lower(email)`)
    .execute();
}
