import type { Kysely } from 'kysely';
import type { DatabaseAdapter } from '../database-adapter.js';
import { watchedSince } from '../read-cache/watched-tables.js';

/**
 * Every server process keeps products in memory too: a Cryptolens request names its product, which was read
 * from the database on each GetKey. The database now reports their changes as it does the licenses'.
 */
export async function up(db: Kysely<unknown>, adapter: DatabaseAdapter): Promise<void> {
  await adapter.watchTables(db, watchedSince(22));
}
