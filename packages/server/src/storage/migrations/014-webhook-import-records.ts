import type { Kysely } from 'kysely';

/**
 * Whether an endpoint hears every record an import writes (license.imported, customer.created, …). Off by
 * default: an import sends one import.completed or import.failed summary instead.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('webhook_endpoints')
    .addColumn('include_import_records', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}
