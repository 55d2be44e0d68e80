import type { Kysely } from 'kysely';

/**
 * Sign-in throttling's counters (core/access/sign-in-throttle.ts), in the database so that every server process
 * spends one budget. Keys are opaque hashes: no email address or client address is stored in the clear.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sign_in_counters')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('failure_count', 'integer', (c) => c.notNull())
    .addColumn('last_failure_at', 'bigint')
    .addColumn('last_success_at', 'bigint')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('sign_in_counters_updated')
    .on('sign_in_counters')
    .column('updated_at')
    .execute();
}
