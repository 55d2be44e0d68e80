import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPostgresSchemaUrl, postgresAvailable } from '../../test-support/test-store.js';
import { asStoreUnavailable } from '../unavailable-database.js';
import { withNamedStatements } from './pg-named-statements.js';

interface Schema {
  items: { id: number; name: string; extra?: string };
}

describe.runIf(await postgresAvailable())('PostgreSQL named statements', () => {
  let pool: pg.Pool;
  let db: Kysely<Schema>;
  let drop: () => Promise<void>;

  beforeEach(async () => {
    const schema = await createPostgresSchemaUrl();
    drop = schema.drop;
    // One connection, so every query below meets the statements the earlier ones prepared.
    pool = new pg.Pool({ connectionString: schema.url, max: 1 });
    db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool: withNamedStatements(pool) }) });
    await sql`create table items (id integer primary key, name text not null)`.execute(db);
    await sql`insert into items values (1, 'one'), (2, 'two')`.execute(db);
  });
  afterEach(async () => {
    await db.destroy();
    await drop();
  });

  const byId = (id: number) => db.selectFrom('items').selectAll().where('id', '=', id).execute();
  const prepared = async () =>
    (await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(db)).rows.map(
      (row) => row.statement,
    );

  it('prepares each text once per connection and binds each run’s own values', async () => {
    expect(await byId(1)).toEqual([{ id: 1, name: 'one' }]);
    expect(await byId(2)).toEqual([{ id: 2, name: 'two' }]);
    const texts = await prepared();
    expect(texts.filter((text) => text.includes('from "items" where "id" = $1'))).toHaveLength(1);
  });

  it('survives a table gaining a column: retried unnamed outside a transaction', async () => {
    expect(await byId(1)).toEqual([{ id: 1, name: 'one' }]);
    await sql`alter table items add column extra text`.execute(db);
    expect(await byId(1)).toEqual([{ id: 1, name: 'one', extra: null }]);
    expect(await byId(2)).toEqual([{ id: 2, name: 'two', extra: null }]);
  });

  it('fails a transaction that meets the stale statement as unavailable; the retry succeeds', async () => {
    expect(await byId(1)).toHaveLength(1);
    await sql`alter table items add column extra text`.execute(db);
    const inTransaction = () =>
      db.transaction().execute((trx) => trx.selectFrom('items').selectAll().where('id', '=', 1).execute());
    const failure = await inTransaction().catch((error: unknown) => error);
    expect(asStoreUnavailable(failure)?.message).toBe('the database is unavailable; try again shortly');
    expect(await inTransaction()).toEqual([{ id: 1, name: 'one', extra: null }]);
  });

  it('leaves schema changes and batches unnamed', async () => {
    await sql`create index items_name on items (name)`.execute(db);
    const many = Array.from({ length: 600 }, (_, i) => i + 10);
    await db.selectFrom('items').select('id').where('id', 'in', many).execute();
    const texts = await prepared();
    expect(texts.some((text) => text.includes('create index'))).toBe(false);
    expect(texts.some((text) => text.includes('in ($1, $2'))).toBe(false);
  });
});
