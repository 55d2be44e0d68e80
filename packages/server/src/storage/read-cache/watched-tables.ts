/**
 * The tables whose rows the read cache holds, and what a change of a row invalidates: the database's own
 * triggers report every insert, update or delete listed here to the other server processes, whichever code or
 * tool made it: the change feed (PostgreSQL NOTIFY, SQLite's `cache_changes` log).
 * `kind`: l (a license, with its machines, products and tags), p (a policy), t (an API token), c (a product of
 * the catalog); `ref`: the column naming it. `ignored`: columns whose updates change nothing the cache answers
 * with (validation's bookkeeping, which each process keeps itself). `since`: the migration that began watching
 * the table, which is the one that creates its triggers (a migration runs once, so a table watched later gets
 * its triggers from a migration of its own).
 */
export interface WatchedTable {
  table: string;
  kind: 'l' | 'p' | 't' | 'c';
  ref: string;
  events: ReadonlyArray<'insert' | 'update' | 'delete'>;
  ignored?: readonly string[];
  since: 16 | 22;
}

export const WATCHED_TABLES: readonly WatchedTable[] = [
  // A new license has no entry anywhere yet: its insert needs no message.
  {
    table: 'licenses',
    kind: 'l',
    ref: 'id',
    events: ['update', 'delete'],
    ignored: ['last_validated_at'],
    since: 16,
  },
  { table: 'license_products', kind: 'l', ref: 'license_id', events: ['insert', 'delete'], since: 16 },
  { table: 'license_tags', kind: 'l', ref: 'license_id', events: ['insert', 'delete'], since: 16 },
  { table: 'machines', kind: 'l', ref: 'license_id', events: ['insert', 'update', 'delete'], since: 16 },
  // Only a license's data objects are cached; a product's or machine's id then names a license needlessly.
  { table: 'data_objects', kind: 'l', ref: 'owner_id', events: ['insert', 'update', 'delete'], since: 16 },
  { table: 'policies', kind: 'p', ref: 'id', events: ['update', 'delete'], since: 16 },
  { table: 'api_tokens', kind: 't', ref: 'id', events: ['update', 'delete'], since: 16 },
  // Cryptolens requests name their product, which is read before the license.
  { table: 'products', kind: 'c', ref: 'id', events: ['update', 'delete'], since: 22 },
];

/** The tables a migration began watching. */
export const watchedSince = (migration: WatchedTable['since']) =>
  WATCHED_TABLES.filter((watched) => watched.since === migration);

/**
 * The PostgreSQL channel the triggers notify on: this prefix and the schema of the changed table, so that
 * deployments in different schemas of one database do not hear each other's changes.
 */
export const CHANGE_CHANNEL_PREFIX = 'keyward_cache_';
