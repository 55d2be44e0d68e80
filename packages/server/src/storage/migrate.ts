import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import * as initial from './migrations/001-initial.js';

type Dialect = 'sqlite' | 'postgres';

/** Migrations are compiled in, so a built server needs no migration files on disk. */
function provider(dialect: Dialect): MigrationProvider {
  const all: Record<string, Migration> = {
    '001-initial': { up: (db) => initial.up(db, dialect) },
  };
  return { getMigrations: async () => all };
}

/** Brings the schema up to date; safe to run from several processes at once (Kysely locks the table). */
export async function migrateToLatest(db: Kysely<unknown>, dialect: Dialect): Promise<string[]> {
  const migrator = new Migrator({ db, provider: provider(dialect) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
