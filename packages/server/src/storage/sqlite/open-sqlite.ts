import { closeSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Sqlite from 'better-sqlite3';
import { Kysely } from 'kysely';
import { DatabaseAccessError, prepareDataDirectory, regularFileSize } from '../data-paths.js';
import { explainDatabaseFailure } from '../database-failures.js';
import { withDriverFailuresTranslated } from '../driver-failures.js';
import type { OpenDatabase, OpenOptions } from '../opened-database.js';
import { createPrivateFile } from '../private-files.js';
import type { Database } from '../schema/index.js';
import { type BookkeepingThread, startBookkeepingThread } from './bookkeeping-thread.js';
import { sqliteAdapter } from './sqlite-adapter.js';
import { followChangeLog } from './sqlite-change-feed.js';
import { BUSY_TIMEOUT_MS, immediateSqliteDialect } from './sqlite-dialect.js';
import { checkpointInBackground } from './wal-checkpointer.js';

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

/** The SQLite file at `path` (`:memory:`: a private database in memory), created if need be. */
export function openSqlite(path: string, options: OpenOptions): OpenDatabase {
  const adapter = sqliteAdapter(path);
  if (path !== ':memory:') prepareDatabaseFile(path);
  let sqlite: Sqlite.Database | null = null;
  try {
    sqlite = new Sqlite(path);
    // Reading the header here: a file that is not a database fails now, in one line, not at the first query.
    sqlite.pragma('journal_mode = WAL');
  } catch (error) {
    sqlite?.close();
    throw explainDatabaseFailure(error, adapter);
  }
  // Durable commits: a committed activation survives a power cut. NORMAL (KEYWARD_DURABILITY=fast) survives a
  // crash of the process but may lose the last commits on power loss.
  sqlite.pragma(options.durability === 'fast' ? 'synchronous = NORMAL' : 'synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  // A statement that may change several rows inside a transaction journals the pages it changes (so it alone
  // can be undone), in a temporary file once past 64 KiB: bookkeeping batches and activations' groups did, a
  // write call per page. Kept in memory, the journal lasts as long as its statement.
  sqlite.pragma('temp_store = MEMORY');
  const connection = sqlite;
  const inBackground = options.backgroundThreads === true && path !== ':memory:';
  if (inBackground) connection.pragma('wal_autocheckpoint = 0');
  const checkpointer = inBackground
    ? checkpointInBackground(path, () => connection.open && connection.pragma('wal_autocheckpoint = 1000'))
    : null;
  let bookkeeping: BookkeepingThread | null = null;
  const db = new Kysely<Database>({ dialect: withDriverFailuresTranslated(immediateSqliteDialect(sqlite)) });
  return {
    db,
    adapter,
    followChanges: (cache) => followChangeLog(connection, cache),
    sqlite,
    bookkeepingWriter(inline, log) {
      if (!inBackground) return null;
      bookkeeping = startBookkeepingThread(
        { path, durability: options.durability ?? 'full' },
        inline,
        (error) =>
          log(`the bookkeeping thread failed (${error.message}); writing bookkeeping on the main connection`),
      );
      return bookkeeping ? (batch) => (bookkeeping as BookkeepingThread).write(batch) : null;
    },
    async close() {
      await bookkeeping?.stop();
      await checkpointer?.stop();
      await db.destroy();
    },
  };
}
