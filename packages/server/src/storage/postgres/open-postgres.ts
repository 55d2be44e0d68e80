import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { withDriverFailuresTranslated } from '../driver-failures.js';
import type { OpenDatabase, OpenOptions } from '../opened-database.js';
import type { Database } from '../schema/index.js';
import { withNamedStatements } from './pg-named-statements.js';
import { postgresAdapter } from './postgres-adapter.js';
import { listenForChanges } from './postgres-change-feed.js';

const INT8_OID = 20;

/** A pool of connections to the PostgreSQL database `url` names; nothing connects before the first query. */
export function openPostgres(url: string, options: OpenOptions): OpenDatabase {
  const pool = new pg.Pool({
    connectionString: url,
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
  // The server processes (backends) serving this pool: the change feed knows this process's own writes by
  // them, which the change marks have applied already (postgres-change-feed.ts). Until a connection's pid is
  // known its writes come back as anyone's, which is only a needless invalidation.
  const backends = new WeakMap<pg.PoolClient, number>();
  const ownBackends = new Set<number>();
  pool.on('connect', (client) => {
    // The pool listens for errors only on idle clients. A client checked out between two queries (inside a
    // transaction) whose connection PostgreSQL terminates (restart, failover) would emit an unhandled
    // 'error' and crash the process; its next query fails instead (answered as unavailable) and the pool
    // drops it on release.
    client.on('error', () => {});
    // Set on every connection, whatever the server's default: `on` waits for the WAL flush before a commit
    // is acknowledged; `off` (KEYWARD_DURABILITY=fast) may lose the last commits if PostgreSQL itself crashes.
    client
      .query<{ pid: number }>("select pg_backend_pid() as pid, set_config('synchronous_commit', $1, false)", [
        options.durability === 'fast' ? 'off' : 'on',
      ])
      .then(({ rows }) => {
        const pid = rows[0]?.pid;
        if (pid === undefined) return;
        backends.set(client, pid);
        ownBackends.add(pid);
        client.on('end', () => ownBackends.delete(pid));
      })
      .catch(() => {});
  });
  pool.on('remove', (client) => {
    const pid = backends.get(client);
    if (pid !== undefined) ownBackends.delete(pid);
  });
  const db = new Kysely<Database>({
    dialect: withDriverFailuresTranslated(
      new PostgresDialect({
        pool: options.preparedStatements === false ? pool : withNamedStatements(pool),
      }),
    ),
  });
  return {
    db,
    adapter: postgresAdapter(url),
    followChanges: (cache, log) => listenForChanges(url, cache, log, (pid) => ownBackends.has(pid)),
    sqlite: null,
    // node-postgres writes without blocking the event loop.
    bookkeepingWriter: () => null,
    close: () => db.destroy(),
  };
}
