import type { Kysely } from 'kysely';
import type { DatabaseAdapter } from '../database-adapter.js';

/**
 * Imports: each job with its sealed credential and checkpoint (so an interrupted job continues where it
 * stopped), and the link from every record of a source to the Keyward record made from it (so a second run
 * updates instead of duplicating).
 */
export async function up(db: Kysely<unknown>, adapter: DatabaseAdapter): Promise<void> {
  await adapter
    .addAutoIncrementId(db.schema.createTable('import_jobs'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('options', 'text', (c) => c.notNull())
    .addColumn('sealed_credential', 'text')
    .addColumn('checkpoint', 'text')
    .addColumn('counts', 'text', (c) => c.notNull())
    .addColumn('progress_done', 'integer', (c) => c.notNull())
    .addColumn('progress_total', 'integer')
    .addColumn('error', 'text')
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .execute();
  await db.schema.createIndex('import_jobs_status').on('import_jobs').columns(['status', 'id']).execute();

  await db.schema
    .createTable('import_links')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('entity', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('local_id', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('import_links_pk', ['source', 'entity', 'external_id'])
    .execute();
}
