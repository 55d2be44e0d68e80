import type Sqlite from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { BookkeepingBatch } from '../core/ports.js';
import type { DatabaseAdapter } from './database-adapter.js';
import type { ChangeFeed } from './read-cache/change-feed.js';
import type { ReadCache } from './read-cache/read-cache.js';
import type { Database } from './schema/index.js';

/** What opening a database takes and gives, shared by the factory and each database's own opening. */

export interface OpenOptions {
  /** PostgreSQL's pool of connections (SQLite has one). */
  poolSize?: number;
  /** `fast` (KEYWARD_DURABILITY=fast): a commit is answered before it is safe on disk (see each opening). */
  durability?: 'full' | 'fast';
  /** PostgreSQL: keep each query's statement prepared per connection (off for poolers that cannot). */
  preparedStatements?: boolean;
  /**
   * SQLite: checkpoint the WAL and write validation's bookkeeping from threads of their own, with connections of
   * their own, never on the event loop (the server; commands that run once and leave need neither).
   */
  backgroundThreads?: boolean;
}

export interface OpenDatabase {
  db: Kysely<Database>;
  /** What differs about this database, by capability (database-adapter.ts). */
  adapter: DatabaseAdapter;
  /** Starts invalidating `cache` with every change other processes (and this one) commit. */
  followChanges(cache: ReadCache, log: (message: string) => void): ChangeFeed;
  /** The SQLite handle, for online backups; null on PostgreSQL. */
  sqlite: Sqlite.Database | null;
  /**
   * Where bookkeeping is written off the event loop, what writes it (`inline` when that fails); null where it
   * is written on the store's own connection.
   */
  bookkeepingWriter(
    inline: (batch: BookkeepingBatch) => Promise<void>,
    log: (message: string) => void,
  ): ((batch: BookkeepingBatch) => Promise<void>) | null;
  /** Closes the connections and stops whatever works on them in the background. */
  close(): Promise<void>;
}
