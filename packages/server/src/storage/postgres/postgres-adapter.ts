import { type Kysely, type SqlBool, sql } from 'kysely';
import type { DatabaseAdapter } from '../database-adapter.js';
import { likeKeyFragments } from './key-fragment-search.js';
import { addPostgresKeySearch } from './key-search-schema.js';
import {
  addPostgresChangeFeed,
  useRowChangeTriggers,
  watchTablesWithRowTriggers,
} from './postgres-change-feed.js';
import { explainPostgresFailure, probePostgres } from './postgres-failures.js';

/** The schema unqualified names resolve to: the first existing one of the connection's search_path. */
async function currentSchema(db: Kysely<unknown>): Promise<string | null> {
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
  return rows[0]?.schema ?? null;
}

/**
 * PostgreSQL, over a pool of connections: transactions run side by side under READ COMMITTED, so what a
 * transaction reads to decide a write it locks; several servers may share the database.
 */
export function postgresAdapter(url: string): DatabaseAdapter {
  return {
    name: 'postgres',
    transactionTakesTheWholeDatabase: false,
    transactionRunner: (db) => (work) => db.transaction().execute((trx) => work(trx)),
    lockForUpdate: (query) => query.forUpdate(),
    lockSkippingLocked: (query) => query.forUpdate().skipLocked(),
    runsInProcess: false,
    jsonArrayHoldsAny: (column, texts) =>
      sql<SqlBool>`exists (select 1 from json_array_elements_text(${sql.ref(column)}::json) as element where element in (${sql.join(texts)}))`,
    jsonArrayLength: (column) => sql<number>`json_array_length(${sql.ref(column)}::json)`,
    // Under a linguistic collation (e.g. en_US) 'ab1' lies between 'AB' and 'AB\u{10FFFF}'. The b-tree of
    // migration 013 is built with this collation.
    byCodePoint: (column) => sql<string>`${sql.ref(column)} collate "C"`,
    keyFragments: likeKeyFragments,
    // A serial column does not see explicit ids: its sequence moves past them, or the next insert collides.
    // `table` is one of the schema's table names, never input.
    async advanceIdsPastExplicitOnes(db, table) {
      await sql`select setval(pg_get_serial_sequence(${sql.lit(table)}, 'id'), (select max(id) from ${sql.raw(table)}))`.execute(
        db,
      );
    },
    addAutoIncrementId: (table, options) =>
      table.addColumn('id', options?.big ? 'bigserial' : 'serial', (c) => c.primaryKey()),
    addKeySearch: addPostgresKeySearch,
    addChangeFeed: addPostgresChangeFeed,
    useRowChangeTriggers,
    watchTables: watchTablesWithRowTriggers,
    migrationTableSchema: currentSchema,
    checkReachable: () => probePostgres(url),
    explainFailure: (error) => explainPostgresFailure(error, url),
  };
}
