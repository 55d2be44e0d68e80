import { type SqlBool, sql } from 'kysely';
import type { DatabaseAdapter } from '../database-adapter.js';
import { trigramKeyFragments } from './key-fragment-search.js';
import { addSqliteKeySearch } from './key-search-schema.js';
import { addSqliteChangeFeed, addSqliteChangeTriggers } from './sqlite-change-feed.js';
import { explainSqliteFailure } from './sqlite-failures.js';
import { groupCommitTransactions } from './sqlite-group-commit.js';

/**
 * SQLite, in process: one connection, and write transactions that take the write lock at BEGIN IMMEDIATE
 * (sqlite-dialect.ts), so writers run one at a time and rows need no locks.
 */
export function sqliteAdapter(path: string): DatabaseAdapter {
  return {
    name: 'sqlite',
    transactionTakesTheWholeDatabase: true,
    // One fsync shared among the transactions that queue up meanwhile (see sqlite-group-commit.ts).
    transactionRunner: (db) => groupCommitTransactions(db, (trx) => trx),
    lockForUpdate: (query) => query,
    lockSkippingLocked: (query) => query,
    runsInProcess: true,
    // json_each gives a number as an integer, which never equals a text.
    jsonArrayHoldsAny: (column, texts) =>
      sql<SqlBool>`exists (select 1 from json_each(${sql.ref(column)}) where cast(value as text) in (${sql.join(texts)}))`,
    jsonArrayLength: (column) => sql<number>`json_array_length(${sql.ref(column)})`,
    // SQLite's default collation (BINARY) compares by code point.
    byCodePoint: (column) => sql.ref<string>(column),
    keyFragments: trigramKeyFragments,
    // AUTOINCREMENT continues after the largest id the table ever held, explicit ones included.
    advanceIdsPastExplicitOnes: async () => {},
    addAutoIncrementId: (table) => table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement()),
    addKeySearch: addSqliteKeySearch,
    addChangeFeed: addSqliteChangeFeed,
    // Migration 016's triggers are row triggers on SQLite already.
    useRowChangeTriggers: async () => {},
    watchTables: addSqliteChangeTriggers,
    migrationTableSchema: async () => null,
    // Opened in process (open-sqlite.ts), where a file it cannot use already failed.
    checkReachable: async () => {},
    explainFailure: (error) => explainSqliteFailure(error, path),
  };
}
