import { type Kysely, sql } from 'kysely';
import type { DatabaseAdapter } from '../database-adapter.js';

/**
 * The web dashboard: its users (scrypt password hashes), their sessions (only a hash of the cookie's secret
 * is kept), and the indexes the overview needs to stay fast over millions of licenses and events.
 */
export async function up(db: Kysely<unknown>, adapter: DatabaseAdapter): Promise<void> {
  await adapter
    .addAutoIncrementId(db.schema.createTable('dashboard_users'))
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_sign_in_at', 'bigint')
    .execute();

  await adapter
    .addAutoIncrementId(db.schema.createTable('dashboard_sessions'))
    .addColumn('user_id', 'integer', (c) => c.notNull().references('dashboard_users.id').onDelete('cascade'))
    .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
    .addColumn('ip', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('dashboard_sessions_user').on('dashboard_sessions').column('user_id').execute();
  await db.schema
    .createIndex('dashboard_sessions_expires')
    .on('dashboard_sessions')
    .column('expires_at')
    .execute();

  // The overview's chart counts events of a few types per hour or day: (type, created_at) answers it from the
  // index alone.
  await db.schema.createIndex('events_type_created').on('events').columns(['type', 'created_at']).execute();
  // The overview counts revoked, suspended and expired licenses. Partial indexes answer each count from a small
  // index, and only queries naming those states can use them: a list of active licenses keeps walking by id.
  await db.schema
    .createIndex('licenses_revoked')
    .on('licenses')
    .column('revoked_at')
    .where(sql.ref('revoked_at'), 'is not', null)
    .execute();
  await db.schema
    .createIndex('licenses_suspended')
    .on('licenses')
    .column('id')
    .where(sql<boolean>`revoked_at is null and is_suspended = 1`)
    .execute();
  await db.schema
    .createIndex('licenses_expiring')
    .on('licenses')
    .column('expires_at')
    .where(sql<boolean>`revoked_at is null and is_suspended = 0 and expires_at is not null`)
    .execute();
}
