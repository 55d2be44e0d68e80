import type BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Kysely,
  SqliteAdapter,
  SqliteDriver,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';
import { LRUCache } from 'lru-cache';
import { forwardingProxy } from '../forwarding-proxy.js';

/** How long a write waits for SQLite's write lock before failing as busy. */
export const BUSY_TIMEOUT_MS = 5000;
/** The longest pause between two tries for the write lock. */
const LONGEST_LOCK_PAUSE_MS = 16;

const isBusy = (error: unknown) =>
  String((error as { code?: unknown })?.code ?? '').startsWith('SQLITE_BUSY');
const pause = (ms: number) => new Promise((resume) => setTimeout(resume, ms));

/**
 * SQLite's default deferred transactions take the write lock only at their first write, and a read-then-write
 * transaction then fails with SQLITE_BUSY instead of waiting when another process wrote meanwhile.
 * `BEGIN IMMEDIATE` takes the write lock up front, so writers serialize across processes as they do inside one.
 *
 * It is tried without SQLite's busy handler, which waits by sleeping the calling thread: while another
 * connection held the lock (the bookkeeping thread committing a batch, another process), the whole event loop
 * stood still, and every request with it. A busy lock is waited for here between turns of the event loop
 * instead, for at most BUSY_TIMEOUT_MS as before.
 */
class ImmediateTransactionDriver extends SqliteDriver {
  constructor(private readonly database: BetterSqlite3.Database) {
    super({ database });
  }

  /** SQLite applies `busy_timeout` when the pragma is prepared, so a kept statement would not set it again. */
  private setBusyTimeout(ms: number): void {
    this.database.pragma(`busy_timeout = ${ms}`);
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const deadline = Date.now() + BUSY_TIMEOUT_MS;
    for (let wait = 1; ; wait = Math.min(wait * 2, LONGEST_LOCK_PAUSE_MS)) {
      this.setBusyTimeout(0);
      try {
        await connection.executeQuery(CompiledQuery.raw('begin immediate'));
        return;
      } catch (error) {
        if (!isBusy(error) || Date.now() >= deadline) throw error;
      } finally {
        // Statements outside a transaction still wait in SQLite, as they always have.
        this.setBusyTimeout(BUSY_TIMEOUT_MS);
      }
      await pause(wait);
    }
  }

  /**
   * After some failures (a disk that refuses a write: SQLITE_IOERR, SQLITE_FULL) SQLite has already rolled the
   * transaction back; a second rollback would fail and hide the error that matters.
   */
  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (this.database.inTransaction) await super.rollbackTransaction(connection);
  }
}

/** Distinct statements kept prepared; the server issues far fewer, so in practice nothing is evicted. */
const STATEMENT_CACHE_SIZE = 1000;
/**
 * Batches (many rows in one insert, a long `in (…)` list) make a new text for every size; they run once per
 * batch, so they are prepared each time rather than pushing the hot statements out.
 */
const LONGEST_CACHED_SQL = 2000;

/**
 * Kysely prepares every query anew, and preparing (parsing and planning the SQL) cost more than running the
 * validate path's indexed lookups. The queries' texts are few and fixed (values are bound parameters), so each
 * text is prepared once and its statement reused. Safe because better-sqlite3 runs a statement to completion
 * synchronously (`all`/`run`); nothing here iterates a statement lazily.
 */
function withStatementCache(database: BetterSqlite3.Database): BetterSqlite3.Database {
  // The text used longest ago is the likeliest to be a one-off. lru-cache rather than a Map's first key,
  // which walks the holes its deleted entries leave.
  const statements = new LRUCache<string, BetterSqlite3.Statement>({ max: STATEMENT_CACHE_SIZE });
  const prepare = (sql: string) => {
    if (sql.length > LONGEST_CACHED_SQL) return database.prepare(sql);
    let statement = statements.get(sql);
    if (!statement) {
      statement = database.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  return forwardingProxy(database, { prepare } as Partial<BetterSqlite3.Database>);
}

export function immediateSqliteDialect(database: BetterSqlite3.Database): Dialect {
  return {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new ImmediateTransactionDriver(withStatementCache(database)),
    createIntrospector: (db: Kysely<unknown>) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  };
}
