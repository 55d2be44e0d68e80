import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import * as initial from './migrations/001-initial.js';
import * as cryptolens from './migrations/002-cryptolens.js';
import * as limelm from './migrations/003-limelm.js';
import * as authtool from './migrations/004-authtool.js';
import * as dashboard from './migrations/006-dashboard.js';
import * as webhooks from './migrations/007-webhooks.js';
import * as imports from './migrations/008-imports.js';
import * as issuedTokens from './migrations/009-issued-tokens.js';
import * as signInCounters from './migrations/010-sign-in-counters.js';
import * as importReruns from './migrations/011-import-reruns.js';
import * as lapsedLeases from './migrations/012-lapsed-leases.js';
import * as licenseKeySearch from './migrations/013-license-key-search.js';
import * as webhookImportRecords from './migrations/014-webhook-import-records.js';
import * as analyticsEvents from './migrations/015-analytics-events.js';

type Dialect = 'sqlite' | 'postgres';

/** Migrations are compiled in, so a built server needs no migration files on disk. */
export function migrationProvider(dialect: Dialect): MigrationProvider {
  const all: Record<string, Migration> = {
    '001-initial': { up: (db) => initial.up(db, dialect) },
    '002-cryptolens': { up: (db) => cryptolens.up(db, dialect) },
    '003-limelm': { up: (db) => limelm.up(db, dialect) },
    '004-authtool': { up: (db) => authtool.up(db, dialect) },
    '006-dashboard': { up: (db) => dashboard.up(db, dialect) },
    '007-webhooks': { up: (db) => webhooks.up(db, dialect) },
    '008-imports': { up: (db) => imports.up(db, dialect) },
    '009-issued-tokens': { up: (db) => issuedTokens.up(db, dialect) },
    '010-sign-in-counters': { up: (db) => signInCounters.up(db, dialect) },
    '011-import-reruns': { up: (db) => importReruns.up(db, dialect) },
    '012-lapsed-leases': { up: (db) => lapsedLeases.up(db, dialect) },
    '013-license-key-search': { up: (db) => licenseKeySearch.up(db, dialect) },
    '014-webhook-import-records': { up: (db) => webhookImportRecords.up(db, dialect) },
    '015-analytics-events': { up: (db) => analyticsEvents.up(db, dialect) },
  };
  return { getMigrations: async () => all };
}

/** Brings the schema up to date; safe to run from several processes at once (Kysely locks the table). */
export async function migrateToLatest(db: Kysely<unknown>, dialect: Dialect): Promise<string[]> {
  // Unless told the schema, Kysely takes its bookkeeping tables in any schema of the database for its own, so a
  // second Keyward (or test store) in a neighbouring PostgreSQL schema would never create them and then fail.
  const migrationTableSchema = dialect === 'postgres' ? await currentSchema(db) : null;
  const migrator = new Migrator({
    db,
    provider: migrationProvider(dialect),
    ...(migrationTableSchema ? { migrationTableSchema } : {}),
  });
  for (let attempt = 1; ; attempt++) {
    try {
      const { error, results } = await migrator.migrateToLatest();
      if (error) throw error;
      return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    } catch (error) {
      // Kysely checks for its bookkeeping tables by listing the tables of every schema in the database; a
      // schema that someone else drops during that listing fails it (invalid_schema_name, 3F000). Migrations
      // run in a transaction, so nothing is half done, and looking again is safe.
      const isSchemaDroppedMeanwhile = (error as { code?: unknown }).code === '3F000';
      if (!isSchemaDroppedMeanwhile || attempt === 10) {
        throw error instanceof Error ? error : new Error(String(error));
      }
      await new Promise((done) => setTimeout(done, 20 * attempt));
    }
  }
}

/** The schema unqualified names resolve to: the first existing one of the connection's search_path. */
async function currentSchema(db: Kysely<unknown>): Promise<string | null> {
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
  return rows[0]?.schema ?? null;
}
