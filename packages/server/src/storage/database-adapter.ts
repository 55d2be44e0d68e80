import type { CreateTableBuilder, Expression, Kysely, RawBuilder, SelectQueryBuilder, SqlBool } from 'kysely';
import type { DatabaseAccessError } from './data-paths.js';
import type { WatchedTable } from './read-cache/watched-tables.js';
import type { Database } from './schema/index.js';

/** Runs work in one write transaction of its own and answers once it is committed. */
export type TransactionRunner = <T>(work: (executor: Kysely<Database>) => Promise<T>) => Promise<T>;

/**
 * What differs between the databases Keyward runs on, asked for by what it does for the caller: storage/sqlite/
 * and storage/postgres/ each implement it, and nothing else in the server asks which database it talks to
 * (database-adapter.test.ts reads the sources to keep it so). Query helpers return the query they were given,
 * changed only where the database needs it, so the SQL each database runs is written in one place.
 */
export interface DatabaseAdapter {
  /** The database's name, as the store reports it (Store.dialect); a label, never a reason to branch. */
  readonly name: 'sqlite' | 'postgres';

  /**
   * A write transaction has the whole database to itself until it ends (SQLite: one connection, and its write
   * lock taken at BEGIN): nothing outside it reads or writes meanwhile, so rows need no locks of their own.
   */
  readonly transactionTakesTheWholeDatabase: boolean;

  /** How the store runs its own write transactions on `db` (SQLite: members of a group commit). */
  transactionRunner(db: Kysely<Database>): TransactionRunner;

  /**
   * Locks the rows the query reads until the transaction ends, so that what is read stays true for what is
   * written after it; unchanged where the transaction already takes the whole database.
   */
  lockForUpdate<DB, TB extends keyof DB, O>(
    query: SelectQueryBuilder<DB, TB, O>,
  ): SelectQueryBuilder<DB, TB, O>;

  /**
   * As lockForUpdate, but rows another transaction holds are left out instead of waited for: sweeps and
   * dispatchers running side by side each take different rows.
   */
  lockSkippingLocked<DB, TB extends keyof DB, O>(
    query: SelectQueryBuilder<DB, TB, O>,
  ): SelectQueryBuilder<DB, TB, O>;

  /**
   * Queries run in this process, without a round trip: a few indexed lookups then cost less than one query
   * that gathers the same rows as JSON (and building and parsing that JSON).
   */
  readonly runsInProcess: boolean;

  /**
   * Whether the JSON array a text column holds has an element whose text (a number's is its JSON text) is one of
   * `texts` (one or more).
   */
  jsonArrayHoldsAny(column: string, texts: readonly string[]): Expression<SqlBool>;

  /** How many elements the JSON array a text column holds has. */
  jsonArrayLength(column: string): RawBuilder<number>;

  /** A text column compared by code point, whatever collation the column or the database has. */
  byCodePoint(column: string): RawBuilder<string>;

  /** How licenses are found by a fragment of their key. */
  readonly keyFragments: KeyFragmentSearch;

  /**
   * After rows were inserted into `table` with explicit ids: makes sure the ids the database generates next
   * come after them (an auto-increment counter that ignores explicit ids would hand out a taken one).
   */
  advanceIdsPastExplicitOnes(db: Kysely<Database>, table: keyof Database & string): Promise<void>;

  /** Adds the table's `id`: an integer primary key the database numbers itself (`big`: 64-bit). */
  addAutoIncrementId<TB extends string, C extends string>(
    table: CreateTableBuilder<TB, C>,
    options?: { big?: boolean },
  ): CreateTableBuilder<TB, C | 'id'>;

  /** Migration 013: licenses' `key_search` column and the indexes that find keys by prefix and by fragment. */
  addKeySearch(db: Kysely<unknown>): Promise<void>;

  /**
   * Migration 016: triggers that report every change of a table the read cache holds to every process using
   * the database, in the writing transaction (storage/read-cache/watched-tables.ts).
   */
  addChangeFeed(db: Kysely<unknown>, tables: readonly WatchedTable[]): Promise<void>;

  /** Migration 021: the change feed's triggers as row triggers, where they were statement triggers. */
  useRowChangeTriggers(db: Kysely<unknown>, tables: readonly WatchedTable[]): Promise<void>;

  /** The change feed's triggers on tables the read cache holds since a later migration (022: products). */
  watchTables(db: Kysely<unknown>, tables: readonly WatchedTable[]): Promise<void>;

  /**
   * The schema Kysely's migration bookkeeping tables belong in, or null where the database has no schemas to
   * choose from (Kysely otherwise takes such tables in any schema of the database for its own).
   */
  migrationTableSchema(db: Kysely<unknown>): Promise<string | null>;

  /** Connects once, with a time limit, so that a start fails fast and says why; nothing to do where the database opened in process. */
  checkReachable(): Promise<void>;

  /** A failure to reach or use the database as one line that says what to do, or null for any other error. */
  explainFailure(error: unknown): DatabaseAccessError | null;
}

/**
 * Finding licenses whose key's search form holds a fragment (three characters or more; core/licenses/key-search.ts),
 * served by an index on either database.
 */
export interface KeyFragmentSearch {
  /** Joins onto a query of licenses whatever `contains` reads besides them; unchanged when nothing. */
  joinIndex<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O>;
  /**
   * The column a page of matches is cut along when the index leads the query and hands rows over in that
   * order; null when pages follow the licenses' own ids.
   */
  readonly pageColumn: RawBuilder<number> | null;
  /** Licenses whose search form holds `form`; `%`, `_` and `\` in it are plain characters. */
  contains(form: string): Expression<SqlBool>;
}
