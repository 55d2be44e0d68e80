import { type Kysely, sql } from 'kysely';

/**
 * Migration 013 on PostgreSQL: the search form as a stored generated column with a b-tree compared by code point
 * (`collate "C"`), and pg_trgm's GIN operator class for fragments where the extension can be had.
 */
export async function addPostgresKeySearch(db: Kysely<unknown>): Promise<void> {
  // translate() drops the characters of its second argument that have no counterpart in the third.
  await sql`alter table licenses add column key_search text generated always as
    (translate(key, 'abcdefghijklmnopqrstuvwxyz- ', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')) stored`.execute(db);
  await sql`create index licenses_key_search on licenses (key_search collate "C")`.execute(db);
  const schema = await trigramSchema(db);
  // Without pg_trgm, fragments are still found, by reading every key (docs: README, "Searching keys").
  if (schema === null) return;
  await sql`create index licenses_key_search_trigrams on licenses
    using gin (key_search ${sql.id(schema, 'gin_trgm_ops')})`.execute(db);
}

async function installedTrigramSchema(db: Kysely<unknown>): Promise<string | null> {
  const { rows } = await sql<{ schema: string }>`
    select n.nspname as schema from pg_extension e join pg_namespace n on n.oid = e.extnamespace
    where e.extname = 'pg_trgm'`.execute(db);
  return rows[0]?.schema ?? null;
}

/**
 * The schema holding pg_trgm, installing it if need be: into `public` where that schema exists, so that
 * dropping the schema of one Keyward (or one test) never takes the extension from its neighbours, else into
 * the current schema. Migrations run in one transaction, so a refused attempt (no privilege, no contrib
 * package) is undone to a savepoint and the migration goes on without the index.
 */
async function trigramSchema(db: Kysely<unknown>): Promise<string | null> {
  const installed = await installedTrigramSchema(db);
  if (installed !== null) return installed;
  const { rows } = await sql<{ hasPublic: boolean }>`
    select exists (select 1 from pg_namespace where nspname = 'public') as "hasPublic"`.execute(db);
  const targets = rows[0]?.hasPublic ? [sql`with schema public`, sql``] : [sql``];
  for (const target of targets) {
    await sql`savepoint keyward_pg_trgm`.execute(db);
    try {
      await sql`create extension if not exists pg_trgm ${target}`.execute(db);
      await sql`release savepoint keyward_pg_trgm`.execute(db);
      break;
    } catch {
      // Refused, or another process created it meanwhile (a unique violation): looked up below.
      await sql`rollback to savepoint keyward_pg_trgm`.execute(db);
    }
  }
  return installedTrigramSchema(db);
}
