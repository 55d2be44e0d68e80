import type { Kysely } from 'kysely';
import type { DatabaseAdapter } from '../database-adapter.js';
import { watchedSince } from '../read-cache/watched-tables.js';

/**
 * Every server process keeps licenses, policies and tokens in memory (storage/read-cache/): the database
 * itself now reports each change of those tables, in the writing transaction, to every process, whichever
 * process or tool wrote it.
 */
export async function up(db: Kysely<unknown>, adapter: DatabaseAdapter): Promise<void> {
  await adapter.addChangeFeed(db, watchedSince(16));
}
