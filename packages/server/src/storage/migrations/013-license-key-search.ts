import type { Kysely } from 'kysely';
import type { DatabaseAdapter } from '../database-adapter.js';

/**
 * Key search by any fragment (core/licenses/key-search.ts). `licenses.key_search` is the key's search form — ASCII
 * letters in capitals, no dashes or spaces — computed by the database itself, so every writer (bulk SQL
 * included) keeps it right and existing rows get it now. A b-tree on it serves equality and short prefixes
 * (compared by code point: `collate "C"` on PostgreSQL, SQLite's default); fragments of three or more
 * characters go to a trigram index: pg_trgm's GIN operator class on PostgreSQL, an FTS5 trigram table on
 * SQLite (each database's own in sqlite/ and postgres/key-search-schema.ts).
 */
export async function up(db: Kysely<unknown>, adapter: DatabaseAdapter): Promise<void> {
  await adapter.addKeySearch(db);
}
