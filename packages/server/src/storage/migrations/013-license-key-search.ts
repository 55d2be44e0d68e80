import { type Kysely, sql } from 'kysely';

type Dialect = 'sqlite' | 'postgres';

/**
 * Key search by any fragment (core/key-search.ts). `licenses.key_search` is the key's search form — ASCII
 * letters in capitals, no dashes or spaces — computed by the database itself, so every writer (bulk SQL
 * included) keeps it right and existing rows get it now. A b-tree on it serves equality and short prefixes
 * (compared by code point: `collate "C"` on PostgreSQL, SQLite's default); fragments of three or more
 * characters go to a trigram index: pg_trgm's GIN operator class on PostgreSQL, an FTS5 trigram table on
 * SQLite.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  if (dialect === 'sqlite') await sqliteUp(db);
  else await postgresUp(db);
}

async function sqliteUp(db: Kysely<unknown>): Promise<void> {
  // Virtual: nothing is stored in the table, only in the indexes. SQLite's upper() changes ASCII letters only.
  await sql`alter table licenses add column key_search text
    generated always as (upper(replace(replace(key, '-', ''), ' ', ''))) virtual`.execute(db);
  await sql`create index licenses_key_search on licenses (key_search)`.execute(db);
  // An external-content table: it holds only the trigram index and reads key_search from licenses to check
  // each candidate. detail=none keeps it small; LIKE is answered from the trigrams and then checked.
  await sql`create virtual table license_key_trigrams using fts5(
    key_search, content = 'licenses', content_rowid = 'id', tokenize = 'trigram', detail = 'none'
  )`.execute(db);
  await sql`insert into license_key_trigrams (license_key_trigrams) values ('rebuild')`.execute(db);
  // Triggers keep it in step whoever writes. A later migration that rebuilds the licenses table drops them
  // with the old table and must create them again (and 'rebuild').
  await sql`create trigger licenses_key_trigrams_insert after insert on licenses begin
    insert into license_key_trigrams (rowid, key_search) values (new.id, new.key_search);
  end`.execute(db);
  await sql`create trigger licenses_key_trigrams_delete after delete on licenses begin
    insert into license_key_trigrams (license_key_trigrams, rowid, key_search)
      values ('delete', old.id, old.key_search);
  end`.execute(db);
  await sql`create trigger licenses_key_trigrams_update after update of key on licenses begin
    insert into license_key_trigrams (license_key_trigrams, rowid, key_search)
      values ('delete', old.id, old.key_search);
    insert into license_key_trigrams (rowid, key_search) values (new.id, new.key_search);
  end`.execute(db);
}

async function postgresUp(db: Kysely<unknown>): Promise<void> {
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
