import { accessSync, closeSync, constants, existsSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Sqlite from 'better-sqlite3';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { withNamedStatements } from './pg-named-statements.js';
import { createPrivateFile, ensurePrivateDirectory } from './private-files.js';
import type { Database } from './schema.js';
import { immediateSqliteDialect } from './sqlite-dialect.js';
import { withUniqueViolationsAsConflicts } from './unique-violations.js';

export type DatabaseLocation = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

export interface OpenDatabase {
  db: Kysely<Database>;
  dialect: 'sqlite' | 'postgres';
  /** The SQLite handle, for online backups; null on PostgreSQL. */
  sqlite: Sqlite.Database | null;
}

const INT8_OID = 20;

/** A database the server cannot use as configured: the operator reads the message, not a stack trace. */
export class DatabaseAccessError extends Error {}

/**
 * SQLite silently opens a file it may not write read-only, and the first write (or the WAL switch) then fails
 * with a bare "attempt to write a readonly database". Checked up front instead, with what to fix.
 */
function assertWritable(path: string): void {
  const problem = (error: unknown) => (error as NodeJS.ErrnoException).code ?? String(error);
  if (existsSync(path)) {
    try {
      closeSync(openSync(path, 'r+'));
    } catch (error) {
      throw new DatabaseAccessError(
        `the database file ${path} cannot be written (${problem(error)}): Keyward needs to write to it; check its permissions and attributes and the disk`,
      );
    }
  }
  try {
    accessSync(dirname(path), constants.W_OK);
  } catch (error) {
    throw new DatabaseAccessError(
      `the directory ${dirname(path)} cannot be written (${problem(error)}): SQLite keeps its WAL and shared-memory files beside the database`,
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
  if (location.path !== ':memory:') {
    ensurePrivateDirectory(dirname(location.path));
    assertWritable(location.path);
    // Created here rather than by SQLite (0644 less the umask), so that it and its -wal and -shm are private.
    createPrivateFile(location.path);
  }
  const sqlite = new Sqlite(location.path);
  sqlite.pragma('journal_mode = WAL');
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
