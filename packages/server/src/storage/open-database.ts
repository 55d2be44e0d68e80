import { closeSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Sqlite from 'better-sqlite3';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { DatabaseAccessError, prepareDataDirectory, regularFileSize } from './data-paths.js';
import { explainDatabaseFailure } from './database-failures.js';
import { withNamedStatements } from './postgres/pg-named-statements.js';
import { createPrivateFile } from './private-files.js';
import type { Database } from './schema/index.js';
import { immediateSqliteDialect } from './sqlite/sqlite-dialect.js';
import { withUniqueViolationsAsConflicts } from './unique-violations.js';

export type DatabaseLocation = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

export interface OpenDatabase {
  db: Kysely<Database>;
  dialect: 'sqlite' | 'postgres';
  /** The SQLite handle, for online backups; null on PostgreSQL. */
  sqlite: Sqlite.Database | null;
}

const INT8_OID = 20;

export { DatabaseAccessError };

/**
 * SQLite silently opens a file it may not write read-only, and the first write (or the WAL switch) then fails
 * with a bare "attempt to write a readonly database"; on a FIFO or a device it waits or fails obscurely.
 * Checked up front instead, with what to fix.
 */
function prepareDatabaseFile(path: string): void {
  const size = regularFileSize(path, 'DATABASE_URL must name the SQLite database file (or a new file name)');
  prepareDataDirectory(dirname(path));
  if (size === null) {
    // Created here rather than by SQLite (0644 less the umask), so that it and its -wal and -shm are private.
    createPrivateFile(path);
    return;
  }
  try {
    closeSync(openSync(path, 'r+'));
  } catch (error) {
    throw new DatabaseAccessError(
      `the database file ${path} cannot be written (${(error as NodeJS.ErrnoException).code}): Keyward needs to write to it; check its permissions and attributes and the disk`,
    );
  }
}

export function openDatabase(
  location: DatabaseLocation,
  options: { poolSize?: number; durability?: 'full' | 'fast'; preparedStatements?: boolean } = {},
): OpenDatabase {
  const isFast = options.durability === 'fast';
  if (location.kind === 'postgres') {
    const pool = new pg.Pool({
      connectionString: location.url,
      max: options.poolSize ?? 10,
      // Instants are bigint milliseconds; they fit a JS number exactly.
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === INT8_OID
            ? (value: string) => Number(value)
            : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
      },
    });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    pool.on('error', () => {});
    // Set on every connection, whatever the server's default: `on` waits for the WAL flush before a commit
    // is acknowledged; `off` (KEYWARD_DURABILITY=fast) may lose the last commits if PostgreSQL itself crashes.
    pool.on('connect', (client) => {
      // The pool listens for errors only on idle clients. A client checked out between two queries (inside a
      // transaction) whose connection PostgreSQL terminates (restart, failover) would emit an unhandled
      // 'error' and crash the process; its next query fails instead (answered as unavailable) and the pool
      // drops it on release.
      client.on('error', () => {});
      client.query(`set synchronous_commit = ${isFast ? 'off' : 'on'}`).catch(() => {});
    });
    return {
      db: new Kysely<Database>({
        dialect: withUniqueViolationsAsConflicts(
          new PostgresDialect({
            pool: options.preparedStatements === false ? pool : withNamedStatements(pool),
          }),
        ),
      }),
      dialect: 'postgres',
      sqlite: null,
    };
  }
  if (location.path !== ':memory:') prepareDatabaseFile(location.path);
  let sqlite: Sqlite.Database | null = null;
  try {
    sqlite = new Sqlite(location.path);
    // Reading the header here: a file that is not a database fails now, in one line, not at the first query.
    sqlite.pragma('journal_mode = WAL');
  } catch (error) {
    sqlite?.close();
    throw explainDatabaseFailure(error, location);
  }
  // Durable commits: a committed activation survives a power cut. NORMAL (KEYWARD_DURABILITY=fast) survives a
  // crash of the process but may lose the last commits on power loss.
  sqlite.pragma(isFast ? 'synchronous = NORMAL' : 'synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  return {
    db: new Kysely<Database>({ dialect: withUniqueViolationsAsConflicts(immediateSqliteDialect(sqlite)) }),
    dialect: 'sqlite',
    sqlite,
  };
}
