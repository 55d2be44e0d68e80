import type Sqlite from 'better-sqlite3';
import { type Kysely, sql } from 'kysely';
import { changeOfRow } from '../read-cache/cache-change.js';
import type { ChangeFeed } from '../read-cache/change-feed.js';
import type { ReadCache } from '../read-cache/read-cache.js';
import type { WatchedTable } from '../read-cache/watched-tables.js';

const NOW_MS = `cast((julianday('now') - 2440587.5) * 86400000 as integer)`;

/**
 * Migration 016 on SQLite: a log of changes (`cache_changes`), written by row triggers in the writing
 * transaction, that every process reading the same file follows (a commit of another connection is
 * invisible to this one's cache otherwise). An update trigger lists the columns it watches (`UPDATE OF`):
 * every column but the ignored ones, as the table has them now; a later migration that adds a column
 * recreates the trigger (sqlite-change-feed.test.ts fails until it does).
 */
export async function addSqliteChangeFeed(
  db: Kysely<unknown>,
  tables: readonly WatchedTable[],
): Promise<void> {
  await sql`create table cache_changes (
    seq integer primary key autoincrement,
    kind text not null,
    ref integer not null,
    at integer not null
  )`.execute(db);
  await sql`create index cache_changes_at on cache_changes (at)`.execute(db);
  await addSqliteChangeTriggers(db, tables);
}

/** The row triggers that log every change of these tables: migrations 016 and 022. */
export async function addSqliteChangeTriggers(
  db: Kysely<unknown>,
  tables: readonly WatchedTable[],
): Promise<void> {
  for (const { table, kind, ref, events, ignored = [] } of tables) {
    const { rows } = await sql<{ name: string }>`select name from pragma_table_info(${table})`.execute(db);
    const watched = rows.map((r) => r.name).filter((name) => !ignored.includes(name));
    for (const event of events) {
      const row = event === 'delete' ? 'old' : 'new';
      const on = event === 'update' ? `update of ${watched.join(', ')}` : event;
      // The old row too on an update: a machine moved to another license changes both.
      const alsoOld =
        event === 'update' && ref !== 'id'
          ? `insert into cache_changes (kind, ref, at) select '${kind}', old.${ref}, ${NOW_MS} where old.${ref} is not new.${ref};`
          : '';
      // Names come from WATCHED_TABLES and the schema, never from input.
      await sql
        .raw(
          `create trigger keyward_cache_${table}_${event} after ${on} on ${table} begin ` +
            `insert into cache_changes (kind, ref, at) values ('${kind}', ${row}.${ref}, ${NOW_MS}); ${alsoOld} end`,
        )
        .execute(db);
    }
  }
}

const POLL_INTERVAL_MS = 5;
/** How long the log keeps a change: a process that has not read it by then forgets everything instead. */
const KEEP_MS = 60_000;
const PRUNE_EVERY_MS = 10_000;
const MAX_ROWS_PER_POLL = 1000;

/**
 * Follows the change log every few milliseconds on the process's own connection and invalidates the cache
 * with each change but its own: a temporary trigger, which only this connection has, notes the rows its own
 * writes log (in their transaction, so a rollback takes the note back too), and their changes were applied by
 * the change marks when they committed. Never while a transaction is open on the connection: it would see
 * that transaction's uncommitted rows, whose numbers a rollback hands out again. A change it may have missed
 * (the log was pruned past where it read, more changes than one read takes, a failed read) forgets everything.
 */
export function followChangeLog(sqlite: Sqlite.Database, cache: ReadCache): ChangeFeed {
  sqlite.exec(`create temp table if not exists own_cache_changes (seq integer primary key);
    create temp trigger if not exists own_cache_changes after insert on main.cache_changes
    begin insert into own_cache_changes (seq) values (new.seq); end;`);
  const latest = sqlite.prepare<[], { seq: number }>(
    `select coalesce((select seq from sqlite_sequence where name = 'cache_changes'), 0) as seq`,
  );
  const since = sqlite.prepare<[number, number], { seq: number; kind: string; ref: number; own: number }>(
    `select c.seq, c.kind, c.ref, o.seq is not null as own from cache_changes c
    left join own_cache_changes o on o.seq = c.seq where c.seq > ? order by c.seq limit ?`,
  );
  const forgetOwn = sqlite.prepare<[number]>('delete from own_cache_changes where seq <= ?');
  const prune = sqlite.prepare<[number]>('delete from cache_changes where at < ?');
  let last = (latest.get() as { seq: number }).seq;
  let prunedAt = Date.now();
  cache.resume();

  const poll = () => {
    if (!sqlite.open || sqlite.inTransaction) return;
    try {
      const rows = since.all(last, MAX_ROWS_PER_POLL + 1);
      const first = rows[0];
      if (rows.length > MAX_ROWS_PER_POLL || (first && first.seq !== last + 1)) {
        cache.apply({ everything: true });
        last = (latest.get() as { seq: number }).seq;
        forgetOwn.run(last);
      } else {
        for (const row of rows) if (!row.own) cache.apply(changeOfRow(row.kind, row.ref));
        last = rows.at(-1)?.seq ?? last;
        if (rows.some((row) => row.own)) forgetOwn.run(last);
      }
      if (!cache.isLive) cache.resume();
      if (Date.now() - prunedAt > PRUNE_EVERY_MS) {
        prunedAt = Date.now();
        prune.run(prunedAt - KEEP_MS);
      }
    } catch {
      // A busy or failing database: answer from it, not from what may be stale, until a read succeeds.
      cache.suspend();
    }
  };
  const timer = setInterval(poll, POLL_INTERVAL_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      cache.suspend();
    },
  };
}
