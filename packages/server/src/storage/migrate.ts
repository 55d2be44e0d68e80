import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import type { DatabaseAdapter } from './database-adapter.js';
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
import * as changeFeed from './migrations/016-change-feed.js';
import * as emailOutbox from './migrations/017-email-outbox.js';
import * as commerce from './migrations/018-commerce.js';
import * as email from './migrations/019-email.js';
import * as portal from './migrations/020-portal.js';
import * as rowChangeTriggers from './migrations/021-row-change-triggers.js';
import * as watchProducts from './migrations/022-watch-products.js';

type MigrationModule = { up(db: Kysely<unknown>, adapter: DatabaseAdapter): Promise<void> };

const MIGRATIONS: Record<string, MigrationModule> = {
  '001-initial': initial,
  '002-cryptolens': cryptolens,
  '003-limelm': limelm,
  '004-authtool': authtool,
  '006-dashboard': dashboard,
  '007-webhooks': webhooks,
  '008-imports': imports,
  '009-issued-tokens': issuedTokens,
  '010-sign-in-counters': signInCounters,
  '011-import-reruns': importReruns,
  '012-lapsed-leases': lapsedLeases,
  '013-license-key-search': licenseKeySearch,
  '014-webhook-import-records': webhookImportRecords,
  '015-analytics-events': analyticsEvents,
  '016-change-feed': changeFeed,
  '017-email-outbox': emailOutbox,
  '018-commerce': commerce,
  '019-email': email,
  '020-portal': portal,
  '021-row-change-triggers': rowChangeTriggers,
  '022-watch-products': watchProducts,
};

/** Migrations are compiled in, so a built server needs no migration files on disk. */
export function migrationProvider(adapter: DatabaseAdapter): MigrationProvider {
  const all: Record<string, Migration> = {};
  for (const [name, migration] of Object.entries(MIGRATIONS))
    all[name] = { up: (db) => migration.up(db, adapter) };
  return { getMigrations: async () => all };
}

/** Brings the schema up to date; safe to run from several processes at once (Kysely locks the table). */
export async function migrateToLatest(db: Kysely<unknown>, adapter: DatabaseAdapter): Promise<string[]> {
  // Unless told the schema, Kysely takes its bookkeeping tables in any schema of the database for its own, so a
  // second Keyward (or test store) in a neighbouring PostgreSQL schema would never create them and then fail.
  const migrationTableSchema = await adapter.migrationTableSchema(db);
  const migrator = new Migrator({
    db,
    provider: migrationProvider(adapter),
    ...(migrationTableSchema ? { migrationTableSchema } : {}),
  });
  for (let attempt = 1; ; attempt++) {
    try {
      const { error, results } = await migrator.migrateToLatest();
      if (error) throw error;
      return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    } catch (error) {
      // Kysely checks for its bookkeeping tables by listing the tables of every schema in the database; a
      // schema or table that someone else drops during that listing fails it. Migrations run in a
      // transaction, so nothing is half done, and looking again is safe.
      if (!wasDroppedMeanwhile(error) || attempt === 10) {
        throw error instanceof Error ? error : new Error(String(error));
      }
      await new Promise((done) => setTimeout(done, 20 * attempt));
    }
  }
}

/**
 * How PostgreSQL fails a catalog listing when another session drops what it lists: the schema
 * (invalid_schema_name, 3F000), a table (undefined_table, 42P01, seen naming a neighbouring schema's table),
 * or the relation behind a catalog row already read (an internal error naming its OID).
 */
export function wasDroppedMeanwhile(error: unknown): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (code === '3F000' || code === '42P01') return true;
  return (
    code === 'XX000' &&
    /could not open relation with OID|cache lookup failed for relation/.test(String(message))
  );
}
