import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { MAX_IDS_PER_MESSAGE, parseChangeMessage } from '../read-cache/cache-change.js';
import type { ChangeFeed } from '../read-cache/change-feed.js';
import type { ReadCache } from '../read-cache/read-cache.js';
import { CHANGE_CHANNEL_PREFIX, type WatchedTable } from '../read-cache/watched-tables.js';

/**
 * Migration 016's function, which migration 021 replaces with row triggers (useRowChangeTriggers, below); a
 * new database still runs 016 first. One statement-level trigger per table and event: the changed rows
 * (transition tables) become one NOTIFY in the writing transaction, so it is delivered when, and only if, the
 * change commits. `tg_argv`: the kind, the column naming what changed, the columns whose updates do not count.
 * More ids than one message holds (a bulk insert) say "everything" instead.
 */
const NOTIFY_FUNCTION = sql.raw(`
create or replace function keyward_cache_notify() returns trigger language plpgsql as $fn$
declare
  ref text := quote_ident(tg_argv[1]);
  ignored text[] := string_to_array(tg_argv[2], ',');
  changed bigint;
  ids text;
  channel text := '${CHANGE_CHANNEL_PREFIX}' || tg_table_schema;
begin
  if tg_op = 'INSERT' then
    execute format('select count(distinct %s), string_agg(distinct %s::text, '','') from new_rows', ref, ref)
      into changed, ids;
  elsif tg_op = 'DELETE' then
    execute format('select count(distinct %s), string_agg(distinct %s::text, '','') from old_rows', ref, ref)
      into changed, ids;
  else
    execute format(
      'select count(distinct r), string_agg(distinct r::text, '','') from ('
      || 'select n.%1$s as r from new_rows n join old_rows o on o.id = n.id'
      || ' where (to_jsonb(n) - $1) is distinct from (to_jsonb(o) - $1)'
      || ' union select o.%1$s from new_rows n join old_rows o on o.id = n.id where n.%1$s is distinct from o.%1$s'
      || ') changed', ref)
      using ignored into changed, ids;
  end if;
  if changed > ${MAX_IDS_PER_MESSAGE} then
    perform pg_notify(channel, '*');
  elsif changed > 0 then
    perform pg_notify(channel, tg_argv[0] || ':' || ids);
  end if;
  return null;
end
$fn$`);

/** Migration 016 on PostgreSQL: the triggers that report every change of a cached table. */
export async function addPostgresChangeFeed(
  db: Kysely<unknown>,
  tables: readonly WatchedTable[],
): Promise<void> {
  await NOTIFY_FUNCTION.execute(db);
  for (const { table, kind, ref, events, ignored = [] } of tables) {
    for (const event of events) {
      const tables =
        event === 'insert'
          ? 'new table as new_rows'
          : event === 'delete'
            ? 'old table as old_rows'
            : 'new table as new_rows old table as old_rows';
      // Names and arguments come from WATCHED_TABLES, never from input.
      await sql
        .raw(
          `create trigger keyward_cache_${table}_${event} after ${event} on ${table} ` +
            `referencing ${tables} for each statement ` +
            `execute function keyward_cache_notify('${kind}', '${ref}', '${ignored.join(',')}')`,
        )
        .execute(db);
    }
  }
}

/** The transaction's count of notices sent so far (a setting local to the transaction). */
const NOTICES_SENT = 'keyward.cache_notices';

/** The SQL of a row trigger's function for one watched table and event (migrations 021 and 022). */
function rowNoticeFunction(
  { table, kind, ref }: WatchedTable,
  event: 'insert' | 'update' | 'delete',
): string {
  const row = event === 'delete' ? 'old' : 'new';
  // The old row too on an update: a machine moved to another license changes both.
  const alsoOld =
    event === 'update' && ref !== 'id'
      ? `if old.${ref} is distinct from new.${ref} then perform pg_notify(channel, '${kind}:' || old.${ref}); end if;`
      : '';
  return `create function keyward_cache_${table}_${event}() returns trigger language plpgsql as $fn$
declare
  channel text := '${CHANGE_CHANNEL_PREFIX}' || tg_table_schema;
  sent integer := coalesce(nullif(current_setting('${NOTICES_SENT}', true), ''), '0')::integer;
begin
  if sent > ${MAX_IDS_PER_MESSAGE} then
    return null;
  elsif sent = ${MAX_IDS_PER_MESSAGE} then
    perform pg_notify(channel, '*');
  elsif ${row}.${ref} is not null then
    perform pg_notify(channel, '${kind}:' || ${row}.${ref});
    ${alsoOld}
  end if;
  perform set_config('${NOTICES_SENT}', (sent + 1)::text, true);
  return null;
end
$fn$`;
}

/**
 * Migration 021 on PostgreSQL: the statement triggers of migration 016 replaced by row triggers. Those built
 * their query anew on every statement (`execute format(…)` over the transition tables, which PL/pgSQL cannot
 * keep planned): ~300 µs of the database's CPU for each statement that changed a watched row, most of what
 * PostgreSQL spent on an activation beyond its writes. A row trigger's function names its table's columns, so
 * its one query stays planned; an update that changes nothing the cache holds does not even call it (`when`).
 * A transaction sends at most MAX_IDS_PER_MESSAGE notices (500), then one that says "everything": a bulk
 * change costs a listener that many messages at most, and PostgreSQL folds a transaction's identical notices.
 */
export async function useRowChangeTriggers(
  db: Kysely<unknown>,
  tables: readonly WatchedTable[],
): Promise<void> {
  for (const watched of tables) {
    for (const event of watched.events) {
      // Names come from WATCHED_TABLES, never from input.
      await sql.raw(`drop trigger keyward_cache_${watched.table}_${event} on ${watched.table}`).execute(db);
    }
  }
  await watchTablesWithRowTriggers(db, tables);
  await sql.raw('drop function keyward_cache_notify()').execute(db);
}

/** The row triggers (and their functions) that report every change of these tables: migrations 021 and 022. */
export async function watchTablesWithRowTriggers(
  db: Kysely<unknown>,
  tables: readonly WatchedTable[],
): Promise<void> {
  for (const watched of tables) {
    const { table, events, ignored = [] } = watched;
    for (const event of events) {
      // Names and arguments come from WATCHED_TABLES, never from input.
      await sql.raw(rowNoticeFunction(watched, event)).execute(db);
      const without = ignored.map((column) => ` - '${column}'`).join('');
      const when =
        event === 'update'
          ? ` when ((to_jsonb(new)${without}) is distinct from (to_jsonb(old)${without}))`
          : '';
      await sql
        .raw(
          `create trigger keyward_cache_${table}_${event} after ${event} on ${table} for each row${when} ` +
            `execute function keyward_cache_${table}_${event}()`,
        )
        .execute(db);
    }
  }
}

/** The application_name of a server process's listening connection. */
export const changeFeedConnectionName = (pid: number) => `keyward change feed ${pid}`;

/** How often the listening connection proves it is alive, and how long an answer may take. */
const PING_INTERVAL_MS = 1000;
const PING_TIMEOUT_MS = 2000;
const RECONNECT_DELAYS_MS = [50, 100, 250, 500, 1000, 2000];

/**
 * Listens on a connection of its own for the triggers' notifications and invalidates the cache with each,
 * but those of this process's own writes (PostgreSQL names the backend that sent each notice), which its
 * change marks applied when they committed.
 * The cache answers only while this connection is known to listen: until LISTEN succeeded, and from the
 * moment the connection fails, ends or stops answering a ping, it is suspended (reads go to the database);
 * a new connection LISTENs, then the cache resumes empty, since what changed while nobody listened is unknown.
 */
export function listenForChanges(
  url: string,
  cache: ReadCache,
  log: (message: string) => void,
  /** Whether a backend (by pid) serves this process: its writes' notices are skipped (change-marks.ts). */
  isOwnBackend: (pid: number) => boolean = () => false,
): ChangeFeed {
  let stopped = false;
  let current: pg.Client | null = null;
  let attempt = 0;
  let retry: NodeJS.Timeout | null = null;
  let ping: NodeJS.Timeout | null = null;

  const lose = (client: pg.Client, why: string) => {
    if (current !== client) return;
    current = null;
    cache.suspend();
    if (ping) clearInterval(ping);
    client.end().catch(() => {});
    if (stopped) return;
    log(`read cache: change feed lost (${why}); reading the database until it is back`);
    const delay = RECONNECT_DELAYS_MS[Math.min(attempt, RECONNECT_DELAYS_MS.length - 1)] as number;
    attempt += 1;
    retry = setTimeout(() => void connect(), delay);
    retry.unref();
  };

  async function connect(): Promise<void> {
    if (stopped) return;
    const client = new pg.Client({
      connectionString: url,
      connectionTimeoutMillis: 5000,
      keepAlive: true,
      // Named, so an operator (or a test) finds it in pg_stat_activity.
      application_name: changeFeedConnectionName(process.pid),
    });
    current = client;
    let channel = '';
    client.on('notification', (message) => {
      if (current === client && message.channel === channel && !isOwnBackend(message.processId))
        cache.apply(parseChangeMessage(message.payload ?? '*'));
    });
    client.on('error', (error) => lose(client, error.message));
    client.on('end', () => lose(client, 'the connection ended'));
    try {
      await client.connect();
      // The schema the server's tables are in (the first of its search_path), as the triggers name it.
      const { rows } = await client.query<{ schema: string }>('select current_schema() as schema');
      channel = `${CHANGE_CHANNEL_PREFIX}${rows[0]?.schema ?? 'public'}`;
      await client.query(`listen ${client.escapeIdentifier(channel)}`);
    } catch (error) {
      lose(client, (error as Error).message);
      return;
    }
    if (current !== client) return;
    if (attempt > 0) log('read cache: change feed is back');
    attempt = 0;
    cache.resume();
    ping = setInterval(() => {
      const timeout = setTimeout(() => lose(client, 'no answer to a ping'), PING_TIMEOUT_MS);
      client.query('select 1').then(
        () => clearTimeout(timeout),
        (error: Error) => {
          clearTimeout(timeout);
          lose(client, error.message);
        },
      );
    }, PING_INTERVAL_MS);
    ping.unref();
  }

  void connect();
  return {
    async stop() {
      stopped = true;
      if (retry) clearTimeout(retry);
      if (ping) clearInterval(ping);
      const client = current;
      current = null;
      cache.suspend();
      await client?.end().catch(() => {});
    },
  };
}
