import type { Kysely } from 'kysely';

/**
 * An import rerun with changed input (a fixed CSV file) starts a new job instead of continuing the failed one
 * on its old input: the two name each other, and a replaced job is never continued or taken over.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('import_jobs').addColumn('replaces_job_id', 'integer').execute();
  await db.schema.alterTable('import_jobs').addColumn('replaced_by_job_id', 'integer').execute();
}
