import type { DatabaseLocation } from './database-location.js';
import type { OpenDatabase, OpenOptions } from './opened-database.js';
import { openPostgres } from './postgres/open-postgres.js';
import { openSqlite } from './sqlite/open-sqlite.js';

export type { DatabaseLocation, OpenDatabase, OpenOptions };

/** The one place that picks the database's own code (storage/sqlite/, storage/postgres/) for a location. */
export function openDatabase(location: DatabaseLocation, options: OpenOptions = {}): OpenDatabase {
  return location.kind === 'postgres'
    ? openPostgres(location.url, options)
    : openSqlite(location.path, options);
}
