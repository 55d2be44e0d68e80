import { type Kysely, sql } from 'kysely';

/**
 * Migration 013 on SQLite: the search form as a virtual generated column with a b-tree (SQLite compares by code
 * point), and an FTS5 trigram table for fragments.
 */
export async function addSqliteKeySearch(db: Kysely<unknown>): Promise<void> {
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
