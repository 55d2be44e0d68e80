import type { Kysely } from 'kysely';
import type { DatabaseAdapter } from '../database-adapter.js';
import { watchedSince } from '../read-cache/watched-tables.js';

/**
 * PostgreSQL's change feed from row triggers instead of statement triggers (postgres-change-feed.ts): the same
 * notices at a fraction of the database's work. SQLite's triggers of migration 016 are row triggers already.
 */
export async function up(db: Kysely<unknown>, adapter: DatabaseAdapter): Promise<void> {
  await adapter.useRowChangeTriggers(db, watchedSince(16));
}
